"""What the bot reads from a flow is said in the flow and checked at load: the steps shared
with ICT, the options that make an image case, and what each case flow records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs.loader import (
    BUILTIN_FLOWS,
    FlowError,
    case_flow,
    load_flow,
    load_flows,
)
from dialogs.purposes import CASE_ACTION_STEPS
from tests.dialogs.flow_files import assert_refused, colour, flow, step, write


def options(*values: str, **flags: Any) -> list[dict[str, Any]]:
    return [{"value": v, "label": v.title(), **flags.get(v, {})} for v in values]


def case(action: str, *steps: dict[str, Any], **fields: Any) -> dict[str, Any]:
    data = flow(*steps, **{"id": f"case_{action}", "purpose": "case", "action": action, **fields})
    del data["report_kind"]
    return data


def note_flow(**fields: Any) -> dict[str, Any]:
    return case("note", step("note", max_length=4000), **fields)


def close_steps(**changes: dict[str, Any]) -> list[dict[str, Any]]:
    steps = {
        "decision": step("decision", "multi_choice", options=options("referred", "nothing")),
        "outcome": step("outcome"),
        "reasons": step("reasons"),
    }
    return [{**s, **changes.get(step_id, {})} for step_id, s in steps.items()]


# --- share_with: [ict], on the steps whose answers go to the ICT contacts.


def test_the_filtering_flow_shares_with_ict_only_what_names_no_pupil() -> None:
    flows = load_flows(BUILTIN_FLOWS)
    shared = flows["filtering"].spec.shared_with("ict")
    # The steps ICT was sent before the flows said so (ICT_STEPS), whether the material may be
    # illegal (so that nobody opens the address to check), and no others.
    assert set(shared) == {
        "problem",
        "possibly_illegal",
        "address",
        "needed_for",
        "topic",
        "teaching_at",
        "happened_at",
        "device_room",
        "connection",
    }
    assert "device" not in shared and "user_account" not in shared  # may name a pupil
    assert "used_by" not in shared  # a member of staff may be the one a concern is about
    assert "pupils_saw" not in shared and "exposure_content" not in shared  # about pupils
    assert "device" not in shared and "what_seen" not in shared  # may name a pupil or show it
    assert all(f.spec.shared_with("ict") == () for f in flows.values() if f.id != "filtering")


def test_a_step_may_be_shared_with_ict(tmp_path: Path) -> None:
    loaded = load_flow(write(tmp_path, flow(colour(share_with=["ict"]), step("why"))))
    assert loaded.spec.shared_with("ict") == ("colour",)


def test_share_with_names_a_known_audience(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        flow(colour(), step("why", share_with=["parents"])),
        "steps[1].share_with[0] (step 'why'): Input should be 'ict'",
    )


def test_share_with_is_only_for_report_steps(tmp_path: Path) -> None:
    data = note_flow()
    data["steps"][0]["share_with"] = ["ict"]
    assert_refused(
        tmp_path,
        data,
        "steps[0] (step 'note'): share_with is only for the steps of a report flow",
    )


# --- image_case: true, on the options that make a case a nude or semi-nude image case.


def test_the_concern_flow_marks_the_image_cases() -> None:
    spec = load_flows(BUILTIN_FLOWS)["concern"].spec
    marked = {
        (step.records, option.value)
        for step in spec.steps
        for option in step.options
        if option.image_case
    }
    # The values the case chat knew as image cases before the flows said so (_IMAGE_CASES),
    # and sextortion, which is reported under contact, commerce or conduct (issue 15).
    assert marked == {
        ("category", "image"),
        ("subcategory", "sexual_imagery"),
        ("subcategory", "sharing_explicit"),
        ("subcategory", "sextortion"),
    }
    image = spec.recorded_option("category", "image")
    assert image is not None and image.image_case
    other = spec.recorded_option("subcategory", "other")
    assert other is not None and not other.image_case
    assert spec.recorded_option("category", "sexual_imagery") is None
    assert spec.recorded_option("subcategory", None) is None


def test_image_case_is_only_for_a_step_that_records_the_category(tmp_path: Path) -> None:
    marked = options("red", "blue", red={"image_case": True})
    assert_refused(
        tmp_path,
        flow(step("why"), colour(options=marked)),
        "steps[1] (step 'colour'): image_case is only for the options of a step with "
        "records: category",
    )
    loaded = load_flow(
        write(tmp_path, flow(step("why"), colour(options=marked, records="category")))
    )
    assert loaded.spec.recorded_option("category", "red") == loaded.spec.step("colour").options[0]


def test_one_recorded_value_is_an_image_case_everywhere_or_nowhere(tmp_path: Path) -> None:
    kind = step("kind", "choice", records="category", options=options("pictures", "words"))
    pictures = step(
        "pictures_kind",
        "choice",
        records="subcategory",
        when="kind == 'pictures'",
        options=options("nude", "other", nude={"image_case": True}, other={"image_case": True}),
    )
    words = step(
        "words_kind",
        "choice",
        records="subcategory",
        when="kind == 'words'",
        options=options("insult", "other"),
    )
    assert_refused(
        tmp_path,
        flow(kind, pictures, words),
        "steps[2] (step 'words_kind'): the option 'other' is not marked image_case here but "
        "is in step 'pictures_kind', which records the same subcategory",
    )


# --- Case flows: their action, and the steps the bot reads for it.


def test_each_builtin_case_flow_declares_its_action() -> None:
    flows = load_flows(BUILTIN_FLOWS)
    actions = {f.id: f.spec.action for f in flows.values() if f.spec.purpose == "case"}
    assert actions == {
        "case_note": "note",
        "case_action": "action",
        "case_close": "close",
        "case_reopen": "reopen",
        "case_recategorise": "recategorise",
    }
    assert all(f.spec.action is None for f in flows.values() if f.spec.purpose != "case")
    for action, needs in CASE_ACTION_STEPS.items():
        found = case_flow(flows, action)
        assert found is not None and found.id == f"case_{action}"
        for step_id, (kind, _) in needs.items():
            assert found.spec.step(step_id).kind == kind


def test_the_action_labels_are_the_case_action_flows_options() -> None:
    found = case_flow(load_flows(BUILTIN_FLOWS), "action")
    assert found is not None
    assert found.spec.option_label("action", "other") == "Something else"
    assert found.spec.option_label("action", "police") == "Referred to the police"
    assert found.spec.option_label("action", "no_such_thing") is None
    assert found.spec.option_label("no_such_step", "other") is None


def test_a_case_flow_needs_an_action(tmp_path: Path) -> None:
    data = note_flow()
    del data["action"]
    assert_refused(
        tmp_path, data, "a case flow needs action: close, note, action, reopen or recategorise"
    )
    assert_refused(tmp_path, case("archive", step("note")), "action: Input should be 'close'")


def test_only_a_case_flow_has_an_action(tmp_path: Path) -> None:
    assert_refused(tmp_path, flow(action="note"), "action is only for case flows (purpose: case)")


def test_a_case_flow_asks_the_steps_its_action_needs(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        case("close", *close_steps()[::2]),  # no outcome
        "steps: a case flow with action: close needs the text step 'outcome'",
    )
    assert_refused(
        tmp_path,
        case("note", step("text")),
        "steps: a case flow with action: note needs the text step 'note'",
    )


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        (
            {"decision": {"kind": "text", "options": []}},
            "steps[0].kind (step 'decision'): for action: close it must be a multi_choice step, "
            "not text",
        ),
        (
            {"outcome": {"required": False}},
            "steps[1].required (step 'outcome'): for action: close it must be answered",
        ),
        (
            {"reasons": {"when": "'nothing' in decision"}},
            "steps[2].when (step 'reasons'): for action: close it must be asked every time",
        ),
    ],
)
def test_a_step_the_bot_reads_is_of_its_kind_and_always_answered(
    tmp_path: Path, changes: dict[str, dict[str, Any]], fragment: str
) -> None:
    assert_refused(tmp_path, case("close", *close_steps(**changes)), fragment)


def test_an_optional_step_an_action_reads_may_be_left_out_but_not_changed(tmp_path: Path) -> None:
    assert load_flow(write(tmp_path, case("close", *close_steps()))).spec.action == "close"
    criteria = step("referral_criteria", "text", required=False)
    assert_refused(
        tmp_path,
        case("close", criteria, *close_steps()),
        "steps[0].kind (step 'referral_criteria'): for action: close it must be a multi_choice",
    )


def test_a_case_flow_is_given_only_the_image_case_context(tmp_path: Path) -> None:
    loaded = load_flow(write(tmp_path, note_flow(context=["image_case"])))
    assert loaded.spec.context == ("image_case",)
    assert_refused(
        tmp_path,
        note_flow(context=["image_case", "urgent"]),
        "context: a case flow is given only allegation, filtering_report, image_case, not urgent",
    )


def test_each_case_action_has_one_flow(tmp_path: Path) -> None:
    path = write(tmp_path, note_flow(id="our_note"))
    with pytest.raises(FlowError) as caught:
        load_flows(BUILTIN_FLOWS, tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path}: action: 'note' is already the action of the flow "), message
    assert str(BUILTIN_FLOWS / "case_note.yaml") in message


def test_a_school_may_replace_a_case_flow_but_not_drop_its_action(tmp_path: Path) -> None:
    ours = write(tmp_path, note_flow(title="Add a note (ours)"))
    assert load_flows(BUILTIN_FLOWS, tmp_path)["case_note"].spec.title == "Add a note (ours)"
    data = flow(step("note"), id="case_note")  # now a report flow
    write(tmp_path, data, name=ours.name)
    with pytest.raises(FlowError) as caught:
        load_flows(BUILTIN_FLOWS, tmp_path)
    assert str(caught.value).startswith(
        f"{ours}: it replaces the flow 'case_note', the case flow for 'note', but is not a "
        "case flow with action: note"
    )


def test_builtin_case_flows_say_their_action_in_the_file() -> None:
    for action in CASE_ACTION_STEPS:
        raw = yaml.safe_load((BUILTIN_FLOWS / f"case_{action}.yaml").read_text(encoding="utf-8"))
        assert raw["action"] == action
