"""A report flow's `offer:`: checked against the flow it starts when the flows are loaded (a
school's own file that breaks it is refused, naming the file), and the answers it fills in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dialogs.engine import Dialog, Reply
from dialogs.loader import BUILTIN_FLOWS, FlowError, load_flows
from tests.dialogs.flow_files import write
from tests.support.dialog_chat import LONDON, NOW


def school_filtering(tmp_path: Path, offer: dict[str, Any]) -> Path:
    folder = tmp_path / "school"
    folder.mkdir()
    return write(folder, {"extends": "filtering", "offer": offer}, "filtering.yaml")


def offer(**changed: Any) -> dict[str, Any]:
    return {
        "when": "exposure_content == 'violence'",
        "flow": "concern",
        "text": "Shall I start the concern?",
        "label": "Start the concern",
        "given": {"category": "content"},
        "carry": {"content_kind": "exposure_content", "pupils": "pupils_saw"},
        **changed,
    }


@pytest.mark.parametrize(
    ("changed", "fragment"),
    [
        ({"flow": "nothing"}, "offer.flow: there is no report flow 'nothing'"),
        ({"flow": "case_close"}, "offer.flow: there is no report flow 'case_close'"),
        ({"given": {"category": "purple"}}, "never answers 'purple'"),
        ({"carry": {"pupils": "nobody"}}, "offer.carry.pupils: 'nobody' is not a step of it"),
        ({"carry": {"category": "pupils_saw"}}, "'pupils_saw' is a text step but 'category'"),
        ({"when": "later == 'yes'"}, "offer.when: 'later' is not a step"),
    ],
)
def test_an_offer_the_bot_could_not_make_is_refused_at_load(tmp_path, changed, fragment):
    path = school_filtering(tmp_path, offer(**changed))
    with pytest.raises(FlowError) as caught:
        load_flows(BUILTIN_FLOWS, path.parent)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert fragment in message, message


def test_a_step_the_school_removed_from_the_offered_flow_is_simply_not_filled_in(tmp_path):
    folder = tmp_path / "school"
    folder.mkdir()
    write(folder, {"extends": "concern", "remove_steps": ["where"]}, "concern.yaml")
    flows = load_flows(BUILTIN_FLOWS, folder)  # the built-in filtering offer carries `where`
    dialog = Dialog(flows["concern"], tz=LONDON, clock=lambda: NOW)
    turn = dialog.start(answers={"category": "content", "where": "https://x.example"})
    assert turn.state.answers == {"category": "content"}


def test_the_answers_filled_in_are_not_asked_and_one_it_cannot_take_is():
    flows = load_flows(BUILTIN_FLOWS)
    dialog = Dialog(flows["concern"], tz=LONDON, clock=lambda: NOW)
    filled = {"category": "content", "content_kind": "teleportation", "pupils": "x" * 501}
    turn = dialog.start(answers=filled)
    assert turn.state.answers == {"category": "content"}  # not an option; too long
    assert turn.state.step == "immediate_danger"  # the first question is still asked

    turn = dialog.handle(turn.state, Reply(value="no", token=turn.state.token))
    assert turn.state.step == "content_kind"  # category was filled in: not asked again


def test_an_answer_filled_in_has_its_effects_urgency_included():
    flows = load_flows(BUILTIN_FLOWS)
    dialog = Dialog(flows["concern"], tz=LONDON, clock=lambda: NOW)
    turn = dialog.start(answers={"immediate_danger": "yes"})
    assert turn.new_urgent_reasons == ["immediate_danger"]
    assert "Call 999" in " ".join(getattr(p, "text", "") for p in turn.prompts)
