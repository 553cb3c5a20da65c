"""How the case record words what a case flow stored: every label is read from the loaded flows
(the case flows' options and steps, the report flow's categories), so the chronology, the view
and the export say what the forms said, a school's own wording included."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from bot.words import strings
from dialogs.display import display_value
from dialogs.loader import Flow, case_flow
from dialogs.model import CaseAction

# A decision stored before a case could be closed with several: the one value that named two.
_LEGACY_DECISIONS = {"referred_both": ("referred_police", "referred_social_care")}
# The case flow whose steps name the sealed texts of each kind of entry in the event log.
_ENTRY_FLOWS: dict[str, CaseAction] = {
    "note": "note",
    "action": "action",
    "closed": "close",
    "reopened": "reopen",
    "recategorised": "recategorise",
}
# What an entry of the closing keeps in the clear, besides its decisions and criteria.
CLOSE_ANSWERS = ("allegation_outcome", "reporter_told")
_UTC = ZoneInfo("UTC")


def decisions(detail: Mapping[str, Any]) -> list[str]:
    """A closing's decisions: a list since several may be made; one value when stored earlier."""
    stored = detail.get("decision")
    values = [stored] if isinstance(stored, str) else [str(v) for v in stored or ()]
    return [each for value in values for each in _LEGACY_DECISIONS.get(value, (value,))]


def option_label(flows: Mapping[str, Flow], action: CaseAction, step_id: str, value: str) -> str:
    """One of a case flow's options as the flow words it (the value itself if it is gone)."""
    flow = case_flow(flows, action)
    return (flow.spec.option_label(step_id, value) if flow is not None else None) or value


def decision_labels(flows: Mapping[str, Flow], detail: Mapping[str, Any]) -> str:
    return "; ".join(option_label(flows, "close", "decision", v) for v in decisions(detail))


def step_label(flows: Mapping[str, Flow], kind: str, key: str) -> str:
    """What the case flow that wrote an entry of this kind calls one of its answers."""
    action = _ENTRY_FLOWS.get(kind)
    flow = case_flow(flows, action) if action is not None else None
    if flow is not None and flow.spec.has_step(key):
        return flow.spec.step(key).label
    return key.replace("_", " ").capitalize()


def close_answers(flows: Mapping[str, Flow], detail: Mapping[str, Any]) -> list[str]:
    """The closing's answers kept in the clear (the allegation's outcome, whether the reporter
    was told), each "Label: answer" as the closing flow words them."""
    flow = case_flow(flows, "close")
    lines = []
    for key in CLOSE_ANSWERS:
        value = detail.get(key)
        if value is None:
            continue
        shown = str(value)
        if flow is not None and flow.spec.has_step(key):  # a choice or yes/no: no time zone
            shown = display_value(flow.spec.step(key), value, _UTC)
        lines.append(f"{step_label(flows, 'closed', key)}: {shown}")
    return lines


def category_change(flows: Mapping[str, Flow], flow_id: str, detail: Mapping[str, Any]) -> str:
    """A change of category, "old → new", as the report's own flow words its categories."""
    flow = flows.get(flow_id)

    def label(value: object) -> str:
        option = flow.spec.recorded_option("category", str(value)) if flow is not None else None
        return option.label if option is not None else str(value or "")

    return strings.CATEGORY_CHANGE.format(
        old=label(detail.get("from")), new=label(detail.get("to"))
    )
