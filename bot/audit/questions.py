"""The audit's questions, read from the flow spec a campaign stored when it started, and the
sealed form of one person's answers.

An audit flow (dialogs/flows/staff_audit.yaml) has, in order, each yes/no question `<id>`,
optionally followed by a text step `<id>_comment` ("add comments if necessary"), and last the
free-text step `training_needs`. A school may edit the wording or add questions; a campaign keeps
the set it started with, so its results always match what people were asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from storage.crypto import Cipher
from storage.models import AuditParticipant

NEEDS_STEP = "training_needs"
COMMENT_SUFFIX = "_comment"

Answers = dict[str, str | None]


@dataclass(frozen=True)
class AuditQuestion:
    step_id: str
    prompt: str  # the question as asked, word for word
    label: str  # a short name for it, for tables and the chart
    comment_step: str | None


def questions(flow_spec: Mapping[str, Any]) -> list[AuditQuestion]:
    """The yes/no questions of a stored flow spec, in the order they were asked."""
    steps = list(flow_spec.get("steps") or [])
    ids = {str(step["id"]) for step in steps}
    found = []
    for step in steps:
        if step.get("kind") != "yes_no":
            continue
        step_id = str(step["id"])
        comment = step_id + COMMENT_SUFFIX
        found.append(
            AuditQuestion(
                step_id=step_id,
                prompt=str(step["prompt"]),
                label=str(step.get("label") or step_id),
                comment_step=comment if comment in ids else None,
            )
        )
    return found


def needs_prompt(flow_spec: Mapping[str, Any]) -> str | None:
    for step in flow_spec.get("steps") or []:
        if step.get("id") == NEEDS_STEP:
            return str(step["prompt"])
    return None


def seal_answers(
    cipher: Cipher, person: AuditParticipant, answers: Mapping[str, str | None]
) -> None:
    cipher.seal(person, "answers_enc", {"answers": dict(answers)})


def open_answers(cipher: Cipher, person: AuditParticipant) -> Answers:
    if person.answers_enc is None:
        return {}
    document = cipher.open(person, "answers_enc")
    answers = document.get("answers") if isinstance(document, dict) else None
    return dict(answers) if isinstance(answers, dict) else {}
