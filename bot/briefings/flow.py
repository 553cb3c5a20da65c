"""A briefing as the DSL wrote it (the answers of dialogs/flows/brief.yaml), and the flow staff
walk to read it: the text with its link and an "I have read and understood this" button, then
each check question as a choice whose answer is followed by the right one (and, when it was
wrong, an optional comment). The campaign stores that flow (its `flow_spec`), so its report
always reads the questions people were asked."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.words import strings
from dialogs.loader import flow_from_spec

MAX_QUESTIONS = 5
MAX_WRONG = 4
MAX_LABEL = 75  # an option's label (dialogs/model.py OptionSpec)
READ_STEP = "read"
READ_VALUE = "read"
COMMENT_SUFFIX = "_comment"  # q1_comment: asked after a wrong answer to q1
_VALUES = "abcde"
# The first effect of each question step says which option is right: `q1 == 'c'`. The report
# reads it back (asked_questions); stored specs keep this shape for good: do not change it.
_RIGHT = re.compile(r"^(q[1-5]) == '([a-e])'$")


@dataclass(frozen=True)
class CheckQuestion:
    question: str
    right: str
    wrong: tuple[str, ...]


@dataclass(frozen=True)
class Briefing:
    title: str
    text: str
    link: str | None
    questions: tuple[CheckQuestion, ...]


@dataclass(frozen=True)
class BadQuestion:
    """Question `n` cannot be asked as written: `step` is the answer to give again."""

    n: int
    step: str


def from_answers(answers: Mapping[str, Any]) -> Briefing | BadQuestion:
    """The briefing the brief flow's answers describe, or the first question to fix."""
    questions = []
    for n in range(1, MAX_QUESTIONS + 1):
        if answers.get(f"add_q{n}") != "yes":
            break
        right = str(answers.get(f"q{n}_right") or "").strip()
        wrong = tuple(
            w.strip()
            for w in re.split(r"[\n;]", str(answers.get(f"q{n}_wrong") or ""))
            if w.strip()
        )
        labels = [right, *wrong]
        if (
            not wrong
            or len(wrong) > MAX_WRONG
            or len({label.casefold() for label in labels}) != len(labels)
            or any(len(label) > MAX_LABEL for label in labels)
        ):
            return BadQuestion(n, f"q{n}_wrong")
        questions.append(CheckQuestion(str(answers.get(f"q{n}") or "").strip(), right, wrong))
    link = str(answers.get("link") or "").strip() or None
    title = str(answers.get("title") or "").strip()
    return Briefing(title, str(answers.get("text") or "").strip(), link, tuple(questions))


def flow_spec(briefing: Briefing) -> dict[str, Any]:
    """The flow staff walk for this briefing, as a stored spec (checked as a flow file is)."""
    guidance = briefing.text
    if briefing.link:
        guidance += "\n\n" + strings.BRIEFING_LINK.format(link=briefing.link)
    steps: list[dict[str, Any]] = [
        {
            "id": READ_STEP,
            "kind": "confirm",
            "label": strings.BRIEFING_READ_LABEL,
            "guidance": guidance,
            "prompt": strings.BRIEFING_READ_PROMPT,
            "options": [{"value": READ_VALUE, "label": strings.BRIEFING_READ_OPTION}],
        }
    ]
    for n, question in enumerate(briefing.questions, start=1):
        # A fixed order that does not give the answer away: alphabetical.
        labels = sorted([question.right, *question.wrong], key=str.casefold)
        options = [{"value": v, "label": label} for v, label in zip(_VALUES, labels, strict=False)]
        right = _VALUES[labels.index(question.right)]
        step_id = f"q{n}"
        steps.append(
            {
                "id": step_id,
                "kind": "choice",
                "label": strings.BRIEFING_QUESTION_LABEL.format(n=n),
                "prompt": question.question,
                "options": options,
                "on_answer": [
                    {
                        "when": f"{step_id} == '{right}'",
                        "notice": strings.BRIEFING_RIGHT.format(answer=question.right),
                        "tone": "guidance",
                    },
                    {
                        "when": f"{step_id} != '{right}'",
                        "notice": strings.BRIEFING_WRONG.format(answer=question.right),
                        "tone": "guidance",
                    },
                ],
            }
        )
        steps.append(  # a wrong answer is a training need: they may say why, or skip it
            {
                "id": step_id + COMMENT_SUFFIX,
                "kind": "text",
                "label": strings.BRIEFING_COMMENT_LABEL.format(n=n),
                "prompt": strings.BRIEFING_COMMENT_PROMPT,
                "hint": strings.BRIEFING_COMMENT_HINT,
                "required": False,
                "max_length": 1000,
                "when": f"{step_id} != '{right}'",
            }
        )
    spec: dict[str, Any] = {
        "id": "briefing",
        "version": 1,
        "title": briefing.title,
        "purpose": "briefing",
        "intro": strings.BRIEFING_INTRO.format(title=briefing.title),
        "help": strings.BRIEFING_HELP,
        "summary_title": strings.BRIEFING_SUMMARY_TITLE,
        "submit_label": strings.BRIEFING_SUBMIT,
        "steps": steps,
    }
    return flow_from_spec(spec).spec.model_dump(mode="json")


@dataclass(frozen=True)
class AskedQuestion:
    step_id: str
    prompt: str
    right: str  # the right option's value
    labels: dict[str, str]  # option value -> label


def asked_questions(spec: Mapping[str, Any]) -> list[AskedQuestion]:
    """The check questions of a stored briefing flow, with their right answers."""
    found = []
    for step in spec.get("steps") or []:
        effects = step.get("on_answer") or []
        matched = _RIGHT.match(str(effects[0].get("when", ""))) if effects else None
        if step.get("kind") != "choice" or matched is None:
            continue
        labels = {str(o["value"]): str(o["label"]) for o in step.get("options") or []}
        found.append(AskedQuestion(str(step["id"]), str(step["prompt"]), matched[2], labels))
    return found
