"""The Slack person picker as the tests find it in a message, and the answers of a concern
about an adult that reaches it (for the picker over HTTP and over Socket Mode)."""

from __future__ import annotations

from typing import Any

from tests.slack.world import blocks_of

ANSWERS: dict[str, str] = {
    "immediate_danger": "no",
    "category": "other",
    "other_kind": "A worry about an adult",
    "about_adult": "yes",
    "adult_concern_kind": "harm",
    "adult_is_head": "no",
    "pupils": "AB (Year 5)",
    "what_happened": "Messages to a pupil on a personal account.",
    "your_concerns": "skip",
    "disclosure": "no",
    "safe_home": "yes",
    "others_at_risk": "no",
    "others_told": "No one yet.",
    "happened_at": "yesterday 15:00",
    "found_out_at": "yesterday 15:30",
    "where": "Instagram",
    "actions_taken": "None yet",
    "dsl_told_in_person": "no",
    "reporter_role": "Teaching assistant",
}


def picker(message: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    for block in blocks_of(message):
        for element in block.get("elements", []):
            if element.get("type") == "external_select":
                return block, element
    return None
