"""Every step of every built-in flow is asked on some walk (the concern flow's own walks are in
test_engine.py): a step that no answers can reach would be a question, or a piece of guidance,
that nobody ever sees. A step added to a flow without a walk that reaches it fails here."""

from __future__ import annotations

from typing import Any

import pytest

from dialogs.engine import Dialog
from dialogs.loader import BUILTIN_FLOWS, Flow, load_flows
from tests.support.dialog_chat import LONDON, NOW, Chat

INCIDENT = {
    "pupil_exposed": "yes",
    "possibly_illegal": "no",
    "pupils_saw": "AB (Year 5)",
    "exposure_content": "violence",
    "used_by": "pupil",
    "connection": "school_wifi",
    "device_room": "Laptop 7, ICT suite",
    "user_account": "Y5-shared",
    "address": "https://example.com/x",
    "happened_at": "yesterday 15:00",
    "what_seen": "A violent video.",
    "actions_taken": "Screen off.",
}
ACTION_TAIL = {"details": "Ref 123.", "done_at": "yesterday 15:00"}
CLOSE_TAIL = {
    "child_views": "skip",
    "support": "skip",
    "reporter_told": "yes",
    "outcome": "Resolved.",
    "reasons": "Low risk.",
    "child_dob": "skip",
}
AUDIT = {
    step: ("no" if i % 2 == 0 else "A comment.")
    for i, step in enumerate(
        f"{question}{suffix}"
        for question in [
            "knows_lead",
            "pupil_concern",
            "staff_aup",
            "filtering_familiar",
            "filtering_role",
            "pupil_aup",
            "password_change",
            "cyberbullying_approach",
        ]
        for suffix in ["", "_comment"]
    )
} | {"training_needs": "None."}

# (flow, its context, the answers of one walk): together, the walks of a flow ask every step.
WALKS: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    ("filtering", {}, {"problem": "harmful_through", **INCIDENT}),
    (
        "filtering",
        {},
        {
            "problem": "over_blocked",
            **{k: INCIDENT[k] for k in ["connection", "device_room", "user_account", "address"]},
            "needed_for": "Year 6 history.",
            "happened_at": "yesterday 15:00",
            "actions_taken": "skip",
        },
    ),
    (
        "filtering",
        {},
        {
            "problem": "advance_notice",
            "topic": "Extremism, Year 6.",
            "teaching_at": "tomorrow 9:00",
            "device_room": "ICT suite",
            "actions_taken": "skip",
        },
    ),
    ("case_action", {}, {"action": "device_searched", "authorised_by": "The head", **ACTION_TAIL}),
    (
        "case_action",
        {},
        {"action": "parents_not_informed", "parents_not_why": "Risk.", **ACTION_TAIL},
    ),
    (
        "case_close",
        {"image_case": "yes", "allegation": "yes"},
        {
            "referral_criteria": ("coercion",),
            "decision": ("handled_in_school",),
            "no_referral_reason": "Police advised.",
            "allegation_outcome": "unfounded",
            **CLOSE_TAIL,
        },
    ),
    (
        "case_recategorise",
        {"filtering_report": "no"},
        {"category": "image", "reason": "It was an image."},
    ),
    (
        "case_recategorise",
        {"filtering_report": "yes"},
        {"problem": "over_blocked", "reason": "It was blocked."},
    ),
    ("case_note", {}, {"note": "Spoke to the class teacher."}),
    ("case_reopen", {}, {"reason": "New messages."}),
    ("staff_audit", {}, AUDIT),
    (
        "filtering_check",
        {},
        {
            "device": "Pupil laptop 12",
            "user_group": "pupils",
            "location": "ICT suite",
            "test": "testfiltering",
            "result_csam": "blocked",
            "result_terrorism": "blocked",
            "result_adult": "not_blocked",
            "result_offensive_language": "blocked",
            "result_self_harm": "not_tested",
            "action": "Raised with the provider.",
        },
    ),
    (
        "filtering_review",
        {},
        {
            step: f"The school's answer on {step}."
            for step in (
                "provision",
                "responsibility",
                "changes",
                "checks",
                "reports",
                "training",
                "actions",
            )
        },
    ),
    # A staff briefing as the DSL writes it, with all five check questions (every step).
    (
        "brief",
        {},
        {
            "template": "own",
            "title": "Updated online safety policy",
            "text": "The policy has changed: please read section 6.",
            "link": "https://school.example/policy.pdf",
            **{
                key: value
                for n in range(1, 6)
                for key, value in (
                    (f"add_q{n}", "yes"),
                    (f"q{n}", f"Question {n}?"),
                    (f"q{n}_right", "The DSL"),
                    (f"q{n}_wrong", "Nobody; A friend"),
                )
            },
        },
    ),
]


@pytest.fixture(scope="module")
def flows() -> dict[str, Flow]:
    return load_flows(BUILTIN_FLOWS)


def test_every_builtin_flow_is_walked_here_or_in_the_engine_tests(flows) -> None:
    assert set(flows) == {flow for flow, _, _ in WALKS} | {"concern"}


@pytest.mark.parametrize("flow_id", sorted({flow for flow, _, _ in WALKS}))
def test_every_step_of_the_flow_is_reachable(flows, flow_id: str) -> None:
    reached: set[str] = set()
    for walked, context, answers in WALKS:
        if walked != flow_id:
            continue
        dialog = Dialog(flows[flow_id], tz=LONDON, clock=lambda: NOW)
        chat = Chat(dialog, dialog.start(context).state)
        reached.update(chat.walk(answers))
    assert reached == {step.id for step in flows[flow_id].spec.steps}
