"""`extends:` in a flow file: a school changes, adds and removes steps of a flow by id instead of
copying it, and the result is checked as any flow is, with the school's file named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs.loader import BUILTIN_FLOWS, FlowError, flow_yaml, load_flow, load_flows
from dialogs.model import FlowSpec
from tests.dialogs.flow_files import colour, flow, step, tags, write


def folder(path: Path) -> Path:
    path.mkdir(exist_ok=True)
    return path


def house(**extra: Any) -> dict[str, Any]:
    options = [{"value": "red", "label": "Red"}, {"value": "blue", "label": "Blue"}]
    return step("house", "choice", options=options, **extra)


def school_concern(tmp_path: Path, **fields: Any) -> Path:
    return write(folder(tmp_path / "school"), {"extends": "concern", **fields}, "concern.yaml")


def refused(tmp_path: Path, data: dict[str, Any]) -> str:
    """Load a school's file extending the built-in flows, expect it refused naming the file;
    the refusal's message, for the test to check what it says."""
    path = write(folder(tmp_path / "school"), data, "ours.yaml")
    with pytest.raises(FlowError) as caught:
        load_flows(BUILTIN_FLOWS, path.parent)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    return message


def ids(spec: FlowSpec) -> list[str]:
    return [s.id for s in spec.steps]


def test_a_school_changes_adds_and_removes_steps_of_a_builtin_flow(tmp_path: Path) -> None:
    where = step("where", prompt="Which room or site?")
    path = school_concern(
        tmp_path,
        title="Report a worry",
        remove_steps=["dsl_told_in_person"],
        steps=[where, house(after="pupils"), step("form", before="immediate_danger")],
    )
    builtin = load_flows(BUILTIN_FLOWS)["concern"]
    ours = load_flows(BUILTIN_FLOWS, path.parent)["concern"]

    assert ours.source == path
    assert (ours.spec.title, ours.spec.version) == ("Report a worry", builtin.spec.version)
    assert ours.spec.intro == builtin.spec.intro  # what the file does not say is the base's
    expected = [s for s in ids(builtin.spec) if s != "dsl_told_in_person"]
    expected.insert(expected.index("pupils") + 1, "house")
    assert ids(ours.spec) == ["form", *expected]
    assert ours.spec.step("where").prompt == "Which room or site?"  # replaced whole, in place
    assert ours.spec.step("where").max_length is None
    assert ours.spec.step("category") == builtin.spec.step("category")
    assert set(ours.conditions) == set(builtin.conditions)  # compiled as a file's are
    assert load_flows(BUILTIN_FLOWS)["concern"].spec == builtin.spec  # the built-in is unchanged


def test_a_replaced_step_may_be_moved(tmp_path: Path) -> None:
    builtin = load_flows(BUILTIN_FLOWS)["concern"].spec.step("where").model_dump(mode="json")
    path = school_concern(tmp_path, steps=[{**builtin, "after": "pupils"}])
    spec = load_flows(BUILTIN_FLOWS, path.parent)["concern"].spec
    assert ids(spec)[ids(spec).index("pupils") + 1] == "where"
    assert ids(spec).count("where") == 1


def test_an_extended_flow_may_take_an_id_of_its_own(tmp_path: Path) -> None:
    path = school_concern(tmp_path, id="concern_primary", title="A worry (primary)")
    flows = load_flows(BUILTIN_FLOWS, path.parent)
    assert flows["concern_primary"].spec.title == "A worry (primary)"
    assert flows["concern"].source == BUILTIN_FLOWS / "concern.yaml"


def test_a_flow_extends_what_an_earlier_folder_made_of_it(tmp_path: Path) -> None:
    trust = school_concern(tmp_path, title="The trust's concern form")
    school = folder(tmp_path / "academy")
    write(school, {"extends": "concern", "remove_steps": ["dsl_told_in_person"]}, "c.yaml")
    spec = load_flows(BUILTIN_FLOWS, trust.parent, school)["concern"].spec
    assert spec.title == "The trust's concern form"
    assert "dsl_told_in_person" not in ids(spec)


def test_what_flows_show_prints_loads_as_the_same_flow(tmp_path: Path) -> None:
    path = school_concern(tmp_path, steps=[house(after="pupils")], remove_steps=["where"])
    ours = load_flows(BUILTIN_FLOWS, path.parent)["concern"]
    text = flow_yaml(ours)
    assert text.startswith(f"# The flow 'concern' as the bot runs it, from {path}.\n")
    assert "extends" not in text and "after:" not in text
    assert FlowSpec.model_validate(yaml.safe_load(text)) == ours.spec
    # Guidance keeps its lines, written as a block as the flow files write it.
    guidance = ours.spec.step("image_rules").guidance
    assert guidance is not None and "\n" in guidance
    assert "  guidance: |" in text


# --- Refused, naming the school's file and the step.


def test_extends_names_a_flow_of_an_earlier_folder(tmp_path: Path) -> None:
    message = refused(tmp_path, {"extends": "concen"})
    assert "extends: there is no flow 'concen' to extend" in message
    assert "case_action, case_close" in message
    with pytest.raises(FlowError, match="there is no flow 'concern' to extend"):
        load_flow(school_concern(tmp_path))  # no flows to extend


def test_a_flow_does_not_extend_one_of_its_own_folder(tmp_path: Path) -> None:
    base = write(folder(tmp_path / "school"), flow(colour(), id="base"), "a.yaml")
    write(base.parent, {"extends": "base", "id": "more"}, "b.yaml")
    with pytest.raises(FlowError, match="there is no flow 'base' to extend"):
        load_flows(BUILTIN_FLOWS, base.parent)


def test_a_removed_step_must_exist(tmp_path: Path) -> None:
    message = refused(tmp_path, {"extends": "concern", "remove_steps": ["where", "whither"]})
    assert "remove_steps[1]: 'concern' has no step 'whither' to remove" in message
    message = refused(tmp_path, {"extends": "concern", "remove_steps": "where"})
    assert "remove_steps: a list" in message


def test_a_new_step_says_where_it_goes(tmp_path: Path) -> None:
    message = refused(tmp_path, {"extends": "concern", "steps": [step("where"), house()]})
    assert (
        "steps[1] (step 'house'): 'concern' has no step 'house', so this is a new step: say "
        "where it goes with after: <step id>"
    ) in message
    message = refused(tmp_path, {"extends": "concern", "steps": [house(after="pupil")]})
    assert "steps[0] (step 'house'): after: 'pupil' is not a step of the flow" in message
    message = refused(
        tmp_path, {"extends": "concern", "steps": [house(after="pupils", before="where")]}
    )
    assert "steps[0] (step 'house'): give after or before, not both" in message


def test_a_step_is_given_once_and_not_also_removed(tmp_path: Path) -> None:
    message = refused(
        tmp_path, {"extends": "concern", "steps": [step("where"), step("where", prompt="Where?")]}
    )
    assert "steps[1] (step 'where'): the step 'where' is given twice in this file" in message
    message = refused(
        tmp_path, {"extends": "concern", "remove_steps": ["where"], "steps": [step("where")]}
    )
    assert "steps[0] (step 'where'): the step 'where' is also in remove_steps" in message
    message = refused(tmp_path, {"extends": "concern", "steps": [{"kind": "text"}]})
    assert "steps[0]: each step" in message


def test_removing_a_step_another_one_needs_is_refused_naming_that_step(tmp_path: Path) -> None:
    message = refused(tmp_path, {"extends": "concern", "remove_steps": ["disclosure"]})
    assert "(step 'child_words'): when: 'disclosure' is not a step asked before this one" in message


def test_a_bad_step_in_an_extending_file_is_named(tmp_path: Path) -> None:
    message = refused(tmp_path, {"extends": "concern", "steps": [step("where", kind="essay")]})
    assert ".kind (step 'where'): Input should be 'choice'" in message
    message = refused(tmp_path, {"extends": "concern", "colour": "blue"})
    assert "colour: unknown field" in message


def test_what_is_checked_of_a_flow_is_checked_of_an_extended_one(tmp_path: Path) -> None:
    message = refused(tmp_path, {"extends": "case_close", "remove_steps": ["reasons"]})
    assert "a case flow with action: close needs the text step 'reasons'" in message
    base = write(folder(tmp_path / "base"), flow(colour(), tags(when="colour == 'red'")), "t.yaml")
    school = write(folder(tmp_path / "ours"), {"extends": "test", "remove_steps": ["colour"]})
    with pytest.raises(FlowError) as caught:
        load_flows(base.parent, school.parent)
    assert str(caught.value).startswith(
        f"{school}: steps[0] (step 'tags'): when: 'colour' is not a step asked before this one"
    )
