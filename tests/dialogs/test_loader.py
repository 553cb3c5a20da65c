"""Loading flow files: the built-in flows load, and broken ones are refused by file and place."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from dialogs.loader import BUILTIN_FLOWS, Flow, FlowError, load_flow, load_flows
from dialogs.model import FlowSpec
from tests.dialogs.flow_files import assert_refused, colour, flow, step, tags, write

# --- The built-in flows.


def test_the_builtin_flows_load() -> None:
    flows = load_flows(BUILTIN_FLOWS)
    reports = {"concern", "filtering"}
    cases = {"case_note", "case_action", "case_close", "case_reopen", "case_recategorise"}
    audits = {"staff_audit"}
    checks = {"filtering_check"}
    reviews = {"filtering_review"}
    briefs = {"brief"}
    assert set(flows) == reports | cases | audits | checks | reviews | briefs
    for flow_id, loaded in flows.items():
        assert isinstance(loaded, Flow)
        assert loaded.id == flow_id
        assert loaded.source == BUILTIN_FLOWS / f"{flow_id}.yaml"
        if flow_id in reports:
            assert (loaded.spec.purpose, loaded.spec.report_kind) == ("report", flow_id)
        elif flow_id in audits:
            assert (loaded.spec.purpose, loaded.spec.report_kind) == ("audit", None)
        elif flow_id in checks:
            assert (loaded.spec.purpose, loaded.spec.report_kind) == ("check", None)
        elif flow_id in reviews:
            assert (loaded.spec.purpose, loaded.spec.report_kind) == ("review", None)
        elif flow_id in briefs:
            assert (loaded.spec.purpose, loaded.spec.report_kind) == ("brief", None)
        else:
            assert (loaded.spec.purpose, loaded.spec.report_kind) == ("case", None)
        with_when = {s.id for s in loaded.spec.steps if s.when is not None}
        assert set(loaded.conditions) == with_when
        effects = {(s.id, i) for s in loaded.spec.steps for i, _ in enumerate(s.on_answer)}
        assert set(loaded.effects) == effects


def test_builtin_conditions_are_compiled_from_the_yaml() -> None:
    concern = load_flow(BUILTIN_FLOWS / "concern.yaml")
    image_rules = concern.conditions["image_rules"]
    assert image_rules.source == "category == 'image'"
    assert image_rules.evaluate({"category": "image"}) is True
    assert image_rules.evaluate({"category": "content"}) is False
    urgent = concern.effects[("immediate_danger", 0)]
    assert urgent.evaluate({"immediate_danger": "yes"}) is True
    assert urgent.evaluate({"immediate_danger": "no"}) is False
    assert "pupils" not in concern.conditions  # asked of everyone
    filtering = load_flow(BUILTIN_FLOWS / "filtering.yaml")
    exposed = filtering.conditions["pupil_exposed"]
    assert exposed.evaluate({"problem": "bypass"}) is True
    assert exposed.evaluate({"problem": "over_blocked"}) is False


def test_a_valid_flow_loads(tmp_path: Path) -> None:
    data = flow(
        colour(),
        tags(when="colour == 'red'"),
        step("why", when="'a' in tags or not colour != 'blue'"),
        step(
            "danger",
            "yes_no",
            on_answer=[{"when": "danger == 'yes'", "signal": "urgent", "reason": "danger"}],
        ),
        step("seen", "confirm", when="danger == 'yes'"),
        step("at", "datetime", when="seen == 'ok'", allow_future=True),
    )
    loaded = load_flow(write(tmp_path, data))
    assert loaded.id == "test"
    assert [s.id for s in loaded.spec.steps] == ["colour", "tags", "why", "danger", "seen", "at"]
    assert set(loaded.conditions) == {"tags", "why", "seen", "at"}
    assert loaded.conditions["why"].evaluate({"colour": "red", "tags": ["a"]}) is True
    assert loaded.conditions["why"].evaluate({"colour": "red", "tags": ["b"]}) is False
    assert loaded.effects[("danger", 0)].evaluate({"danger": "yes"}) is True


# --- Files that are not flows at all.


def test_not_yaml_gives_the_line(tmp_path: Path) -> None:
    text = "id: test\nversion: 1\nsteps:\n  - id: a\n    kind: text\n   label: x\n"
    message = assert_refused(tmp_path, text, "not valid YAML")
    assert re.search(r"at line 6\b", message), message


def test_not_yaml_unclosed_bracket_gives_a_line(tmp_path: Path) -> None:
    assert_refused(tmp_path, "id: test\ntitle: [unclosed\nintro: x\n", "not valid YAML at line 3")


@pytest.mark.parametrize(
    "text", ["", "# only a comment\n", "- id: test\n", "just a string\n", "42\n"]
)
def test_not_a_mapping(tmp_path: Path, text: str) -> None:
    assert_refused(tmp_path, text, "a flow file must be a mapping with id, title and steps")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_bytes(b"id: test\ntitle: Caf\xe9\n")
    with pytest.raises(FlowError, match="not UTF-8") as caught:
        load_flow(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing.yaml"
    with pytest.raises(FlowError, match="cannot read the file") as caught:
        load_flow(path)
    assert str(caught.value).startswith(f"{path}: ")


# --- Fields.


def test_missing_field_in_a_step(tmp_path: Path) -> None:
    broken = colour()
    del broken["label"]
    assert_refused(tmp_path, flow(broken), "steps[0].label (step 'colour'): Field required")


def test_missing_top_level_field(tmp_path: Path) -> None:
    data = flow()
    del data["intro"]
    assert_refused(tmp_path, data, "intro: Field required")


def test_missing_steps(tmp_path: Path) -> None:
    data = flow()
    del data["steps"]
    assert_refused(tmp_path, data, "steps: Field required")


def test_no_steps(tmp_path: Path) -> None:
    assert_refused(tmp_path, flow(steps=[]), "steps: Tuple should have at least 1 item")


def test_unknown_field_in_a_step(tmp_path: Path) -> None:
    data = flow(colour(), step("why", promt="Why?"))
    assert_refused(tmp_path, data, "steps[1].promt (step 'why'): unknown field")


def test_unknown_top_level_field(tmp_path: Path) -> None:
    assert_refused(tmp_path, flow(titel="Oops"), "titel: unknown field")


def test_unknown_field_in_an_option(tmp_path: Path) -> None:
    broken = colour()
    broken["options"][1]["colour"] = "blue"
    assert_refused(
        tmp_path, flow(broken), "steps[0].options[1].colour (step 'colour'): unknown field"
    )


def test_unknown_field_in_an_effect(tmp_path: Path) -> None:
    effect = {"when": "colour == 'red'", "notice": "Hi", "sound": "beep"}
    assert_refused(
        tmp_path,
        flow(colour(on_answer=[effect])),
        "steps[0].on_answer[0].sound (step 'colour'): unknown field",
    )


def test_several_problems_are_all_listed(tmp_path: Path) -> None:
    broken = colour(promt="x")
    del broken["label"]
    message = assert_refused(tmp_path, flow(broken))
    assert "steps[0].label (step 'colour'): Field required" in message
    assert "steps[0].promt (step 'colour'): unknown field" in message


def test_bad_step_kind(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        flow(colour(), step("why", "radio")),
        "steps[1].kind (step 'why'): Input should be 'choice', 'multi_choice'",
    )


def test_bad_step_id(tmp_path: Path) -> None:
    assert_refused(
        tmp_path, flow(step("Why Not")), "steps[0].id (step 'Why Not'): String should match"
    )


def test_a_step_without_an_id_is_named_by_index(tmp_path: Path) -> None:
    broken = step("why")
    del broken["id"]
    message = assert_refused(tmp_path, flow(colour(), broken), "steps[1].id: Field required")
    assert "(step" not in message


def test_unquoted_yes_as_an_option_value(tmp_path: Path) -> None:
    text = yaml.safe_dump(flow(colour())).replace("value: red", "value: yes")
    assert "value: yes" in text
    assert_refused(
        tmp_path, text, "steps[0].options[0].value (step 'colour'): Input should be a valid string"
    )


def test_bad_version(tmp_path: Path) -> None:
    assert_refused(tmp_path, flow(version=0), "version: Input should be greater than or equal to 1")


def test_a_report_kind_must_be_an_identifier(tmp_path: Path) -> None:
    # Which kinds exist is the bot's to say (tests/reports/test_kinds.py); the loader checks shape.
    assert_refused(tmp_path, flow(report_kind="Gossip!"), "report_kind: String should match")


def test_bad_effect_signal(tmp_path: Path) -> None:
    effect = {"when": "colour == 'red'", "signal": "panic"}
    assert_refused(
        tmp_path,
        flow(colour(on_answer=[effect])),
        "steps[0].on_answer[0].signal (step 'colour'): Input should be 'urgent'",
    )


# --- Urgency declared in the flow: `signal: urgent` with a reason.


def test_an_urgent_effect_carries_its_reason(tmp_path: Path) -> None:
    effect = {"when": "colour == 'red'", "signal": "urgent", "reason": "red_alert"}
    loaded = load_flow(write(tmp_path, flow(colour(on_answer=[effect]))))
    (loaded_effect,) = loaded.spec.step("colour").on_answer
    assert (loaded_effect.signal, loaded_effect.reason) == ("urgent", "red_alert")


def test_an_urgent_effect_without_a_reason_is_refused(tmp_path: Path) -> None:
    effect = {"when": "colour == 'red'", "signal": "urgent", "notice": "Call 999."}
    assert_refused(
        tmp_path,
        flow(colour(on_answer=[effect])),
        "steps[0].on_answer[0] (step 'colour'): Value error, signal: urgent needs a reason",
        "reason: immediate_danger",
    )


@pytest.mark.parametrize("reason", ["Red Alert", "red-alert", "9lives", "", "x" * 49])
def test_a_reason_code_must_look_like_an_id(tmp_path: Path, reason: str) -> None:
    effect = {"when": "colour == 'red'", "signal": "urgent", "reason": reason}
    assert_refused(
        tmp_path,
        flow(colour(on_answer=[effect])),
        "steps[0].on_answer[0].reason (step 'colour'): String should match pattern",
    )


@pytest.mark.parametrize("signal", [None, "possibly_illegal"])
def test_a_reason_is_only_for_an_urgent_signal(tmp_path: Path, signal: str | None) -> None:
    effect = {"when": "colour == 'red'", "reason": "red", "notice": "Careful."}
    if signal:
        effect["signal"] = signal
    assert_refused(
        tmp_path,
        flow(step("why"), colour(on_answer=[effect])),
        "steps[1].on_answer[0] (step 'colour'): Value error, a reason is only for signal: urgent",
    )


# --- The shape of each step.


def test_duplicate_step_id(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        flow(colour(), step("why"), step("why")),
        "steps[2] (step 'why'): the id 'why' is used by an earlier step",
    )


def test_duplicate_option_value(tmp_path: Path) -> None:
    broken = colour()
    broken["options"].append({"value": "red", "label": "Crimson"})
    assert_refused(
        tmp_path,
        flow(broken),
        "steps[0].options (step 'colour'): Value error, option value(s) used twice: red",
    )


@pytest.mark.parametrize("kind", ["choice", "multi_choice"])
def test_choice_with_one_option(tmp_path: Path, kind: str) -> None:
    lonely = step("pick", kind, options=[{"value": "only", "label": "Only"}])
    assert_refused(
        tmp_path, flow(lonely), f"steps[0] (step 'pick'): a {kind} step needs at least two options"
    )


def test_choice_with_no_options(tmp_path: Path) -> None:
    assert_refused(
        tmp_path, flow(step("pick", "choice")), "a choice step needs at least two options"
    )


@pytest.mark.parametrize("kind", ["text", "yes_no", "datetime", "person"])
def test_options_on_a_step_that_takes_none(tmp_path: Path, kind: str) -> None:
    options = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]
    assert_refused(
        tmp_path,
        flow(colour(), step("why", kind, options=options)),
        f"steps[1] (step 'why'): a {kind} step takes no options",
    )


def test_max_length_on_a_choice(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        flow(colour(max_length=10)),
        "steps[0] (step 'colour'): max_length is only for text and person steps",
    )


def test_max_length_must_be_positive(tmp_path: Path) -> None:
    assert_refused(tmp_path, flow(step("why", max_length=0)), "steps[0].max_length (step 'why')")


# --- `when`: only earlier steps, only values they can answer.


def test_when_naming_an_unknown_step(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        flow(colour(), step("why", when="colur == 'red'")),
        "steps[1] (step 'why'): when: 'colur' is not a step asked before this one",
    )


def test_when_naming_a_later_step(tmp_path: Path) -> None:
    message = assert_refused(
        tmp_path,
        flow(colour(), step("why", when="after == 'yes'"), step("after", "yes_no")),
        "steps[1] (step 'why'): when: 'after' is not a step asked before this one",
    )
    assert "could never be reached" in message


def test_when_naming_its_own_step(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        flow(colour(), step("why", when="why == 'x'")),
        "steps[1] (step 'why'): when: 'why' is not a step asked before this one",
    )


def test_when_on_the_first_step(tmp_path: Path) -> None:
    assert_refused(
        tmp_path, flow(colour(when="colour == 'red'")), "steps[0] (step 'colour'): when:"
    )


def test_when_naming_an_unknown_step_in_an_empty_list(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        flow(colour(), step("why", when="nosuch in []")),
        "steps[1] (step 'why'): when: the list after 'in' is empty",
    )


@pytest.mark.parametrize(
    ("when", "step_id", "never", "values"),
    [
        ("colour == 'green'", "colour", "'green'", "blue, red"),
        ("colour != 'Red'", "colour", "'Red'", "blue, red"),
        ("colour in ['red', 'green']", "colour", "'green'", "blue, red"),
        ("danger == 'maybe'", "danger", "'maybe'", "no, yes"),
        ("danger == 'Yes'", "danger", "'Yes'", "no, yes"),
        ("seen == 'yes'", "seen", "'yes'", "ok"),
        ("'c' in tags", "tags", "'c'", "a, b"),
        ("colour == 'red' and danger == 'no' or 'c' in tags", "tags", "'c'", "a, b"),
    ],
)
def test_when_comparing_to_a_value_the_step_never_answers(
    tmp_path: Path, when: str, step_id: str, never: str, values: str
) -> None:
    steps = (colour(), step("danger", "yes_no"), step("seen", "confirm"), tags())
    assert_refused(
        tmp_path,
        flow(*steps, step("why", when=when)),
        f"steps[4] (step 'why'): when: step {step_id!r} never answers {never} "
        f"(its values are {values})",
    )


def test_when_comparing_a_text_answer_to_any_value_is_allowed(tmp_path: Path) -> None:
    loaded = load_flow(write(tmp_path, flow(step("name"), step("why", when="name != 'nobody'"))))
    assert loaded.conditions["why"].evaluate({"name": "AB"}) is True


def test_when_using_membership_on_a_single_choice(tmp_path: Path) -> None:
    # The answer of a choice is one value, never a list: this step could never be asked.
    assert_refused(
        tmp_path,
        flow(colour(), step("why", when="'red' in colour")),
        "steps[1] (step 'why'): when: 'value in colour' is only for multi_choice steps",
    )


def test_when_comparing_a_multi_choice_as_one_value(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        flow(tags(), step("why", when="tags == 'a'")),
        "steps[1] (step 'why'): when: 'tags' is a multi_choice step, whose answer is a list",
    )


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        ("colour == 'red' and", "cannot parse"),
        ("colour = 'red'", "cannot parse"),
        ("colour.lower() == 'red'", "the left side must be a step id"),
        ("colour < 'red'", "operator Lt is not allowed"),
        ("colour == 1", "expected a quoted value"),
    ],
)
def test_bad_condition(tmp_path: Path, when: str, reason: str) -> None:
    assert_refused(
        tmp_path, flow(colour(), step("why", when=when)), f"steps[1] (step 'why'): when: {reason}"
    )


def test_unquoted_when_that_yaml_reads_as_a_mapping(tmp_path: Path) -> None:
    text = yaml.safe_dump(flow(colour(), step("why"))).replace(
        "id: why\n", "id: why\n  when: {colour: red}\n"
    )
    assert "when: {colour: red}" in text
    assert_refused(tmp_path, text, "steps[1].when (step 'why'): Input should be a valid string")


@pytest.mark.parametrize(
    ("effects", "fragments"),
    [
        (
            [{"when": "colour == 'red'", "notice": "Hi"}, {"when": "colour ==", "notice": "Hi"}],
            ("steps[0] (step 'colour'): on_answer[1].when: cannot parse",),
        ),
        (
            [{"when": "colour == 'green'", "notice": "Hi"}],
            ("steps[0] (step 'colour'): on_answer[0].when: step 'colour' never answers 'green'",),
        ),
        (
            [{"when": "why == 'x'", "notice": "Hi"}],
            ("steps[0] (step 'colour'): on_answer[0].when: 'why' is not a step asked before",),
        ),
        (
            [{"when": "open('x')", "notice": "Hi"}],
            ("steps[0] (step 'colour'): on_answer[0].when: not allowed here",),
        ),
    ],
)
def test_on_answer_with_a_bad_condition(
    tmp_path: Path, effects: list[dict[str, str]], fragments: tuple[str, ...]
) -> None:
    assert_refused(tmp_path, flow(colour(on_answer=effects), step("why")), *fragments)


def test_on_answer_may_read_its_own_step_and_earlier_ones(tmp_path: Path) -> None:
    effect = {"when": "colour == 'red' and danger == 'yes'", "signal": "urgent", "reason": "red"}
    loaded = load_flow(
        write(tmp_path, flow(colour(), step("danger", "yes_no", on_answer=[effect])))
    )
    assert loaded.effects[("danger", 0)].evaluate({"colour": "red", "danger": "yes"}) is True
    assert loaded.effects[("danger", 0)].evaluate({"colour": "blue", "danger": "yes"}) is False


# --- Conditions read only the answers of steps that still apply.


def test_an_answer_of_a_step_that_no_longer_applies_does_not_count(tmp_path: Path) -> None:
    data = flow(
        colour(),
        step("shade", "choice", when="colour == 'red'", options=colour()["options"]),
        step("rules", "confirm", when="shade == 'red'"),
        step("either", when="shade == 'red' or colour == 'blue'"),
        step("unless", when="not shade == 'red'"),
        step("deeper", when="rules == 'ok'"),
    )
    conditions = load_flow(write(tmp_path, data)).conditions
    live = {"colour": "red", "shade": "red", "rules": "ok"}
    stale = {"colour": "blue", "shade": "red", "rules": "ok"}  # colour changed afterwards
    assert conditions["rules"].evaluate(live) is True
    assert conditions["rules"].evaluate(stale) is False
    assert conditions["either"].evaluate(live) is True
    assert conditions["either"].evaluate(stale) is True  # through colour == 'blue'
    assert conditions["either"].evaluate({"colour": "green", "shade": "red"}) is False
    assert conditions["unless"].evaluate(live) is False
    assert conditions["unless"].evaluate(stale) is True
    assert conditions["deeper"].evaluate(live) is True
    assert conditions["deeper"].evaluate(stale) is False  # two steps removed
    assert stale == {"colour": "blue", "shade": "red", "rules": "ok"}  # not changed


# --- Several folders.


def test_an_override_folder_replaces_a_builtin_flow_by_id(tmp_path: Path) -> None:
    school = tmp_path / "school"
    school.mkdir()
    text = (BUILTIN_FLOWS / "concern.yaml").read_text(encoding="utf-8")
    ours = text.replace("What is the concern about?", "What is worrying you?")
    assert ours != text
    write(school, ours, name="our-concern.yaml")  # any file name: the id decides
    flows = load_flows(BUILTIN_FLOWS, school)
    assert set(flows) == set(load_flows(BUILTIN_FLOWS))
    assert flows["concern"].source == school / "our-concern.yaml"
    assert flows["concern"].spec.step("category").prompt == "What is worrying you?"
    assert flows["filtering"].source == BUILTIN_FLOWS / "filtering.yaml"
    # the order of folders decides
    assert load_flows(school, BUILTIN_FLOWS)["concern"].source == BUILTIN_FLOWS / "concern.yaml"


def test_an_override_folder_may_add_a_flow(tmp_path: Path) -> None:
    write(tmp_path, flow(id="extra"))
    (tmp_path / "notes.txt").write_text("not a flow", encoding="utf-8")
    flows = load_flows(BUILTIN_FLOWS, tmp_path)
    assert set(flows) == {*load_flows(BUILTIN_FLOWS), "extra"}


def test_no_override_folder(tmp_path: Path) -> None:
    assert set(load_flows(BUILTIN_FLOWS, None)) == set(load_flows(BUILTIN_FLOWS))
    assert {"concern", "filtering"} <= set(load_flows(BUILTIN_FLOWS))
    assert load_flows() == {}


def test_a_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    with pytest.raises(FlowError, match="flow folder not found") as caught:
        load_flows(BUILTIN_FLOWS, missing)
    assert str(caught.value).startswith(f"{missing}: ")


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    path = write(tmp_path, flow())
    with pytest.raises(FlowError, match="flow folder not found"):
        load_flows(path)


def test_a_broken_override_stops_loading_and_names_its_file(tmp_path: Path) -> None:
    path = write(tmp_path, flow(colour(), step("why", when="colour == 'green'")), "concern.yaml")
    with pytest.raises(FlowError) as caught:
        load_flows(BUILTIN_FLOWS, tmp_path)
    assert str(caught.value).startswith(f"{path}: steps[1] (step 'why'): when:")


def test_two_files_with_one_id_in_one_folder(tmp_path: Path) -> None:
    shutil.copy(BUILTIN_FLOWS / "concern.yaml", tmp_path / "concern.yaml")
    shutil.copy(BUILTIN_FLOWS / "concern.yaml", tmp_path / "concern-copy.yaml")
    with pytest.raises(FlowError) as caught:
        load_flows(BUILTIN_FLOWS, tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'concern.yaml'}: the flow id 'concern'"), message
    assert str(tmp_path / "concern-copy.yaml") in message


def test_the_builtin_schema_matches_what_the_loader_returns() -> None:
    spec = load_flow(BUILTIN_FLOWS / "filtering.yaml").spec
    assert isinstance(spec, FlowSpec)
    assert spec.step("teaching_at").allow_future is True
    assert spec.step("address").defang is True


def test_yml_files_are_loaded_too(tmp_path: Path) -> None:
    text = (BUILTIN_FLOWS / "filtering.yaml").read_text(encoding="utf-8")
    (tmp_path / "filtering.yml").write_text(text.replace("Send report", "Send it"), "utf-8")
    flows = load_flows(BUILTIN_FLOWS, tmp_path)
    assert flows["filtering"].spec.submit_label == "Send it"
