"""The case flows as this school words them, from its school file: where the local authority
calls early help "family help", the case action `early_help` says so (on the form, in the
chronology and in the export alike, since they all read the same loaded flows).

And each case flow speaks of itself when stopped: a school's own case flow without its own
`cancel_question` and `cancelled` is given the words for a case form, never the engine's
words for a report ("Do you want to cancel this report? ... Nothing was sent")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.school.config import SchoolConfig
from bot.words import strings
from dialogs.loader import Flow, case_flow

EARLY_HELP = "early_help"


def for_school(flows: Mapping[str, Flow], school: SchoolConfig) -> dict[str, Flow]:
    """`flows`, with the school's name for early help, and every case flow's words for stopping."""
    found = {flow_id: _stopping_words(flow) for flow_id, flow in flows.items()}
    flow = case_flow(found, "action")
    if not school.family_help or flow is None or not flow.spec.has_step("action"):
        return found
    step = flow.spec.step("action")
    options = tuple(
        option.model_copy(update={"label": strings.FAMILY_HELP_OPTION})
        if option.value == EARLY_HELP
        else option
        for option in step.options
    )
    steps = tuple(
        s.model_copy(update={"options": options}) if s.id == step.id else s for s in flow.spec.steps
    )
    found[flow.id] = replace(flow, spec=flow.spec.model_copy(update={"steps": steps}))
    return found


def _stopping_words(flow: Flow) -> Flow:
    """A case flow with words of its own for "cancel" (the case form's, where it has none)."""
    spec = flow.spec
    if spec.purpose != "case":
        return flow
    words = {
        "cancel_question": spec.cancel_question or strings.CASE_FORM_CANCEL_QUESTION,
        "cancelled": spec.cancelled or strings.CASE_FORM_CANCELLED,
    }
    return replace(flow, spec=spec.model_copy(update=words))
