"""The flow that changes a report's category reads its options from the report flows as they
are loaded (a school's own categories included), and a flow that cannot is refused at start,
naming the file and the step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dialogs.loader import BUILTIN_FLOWS, FlowError, load_flows
from tests.dialogs.flow_files import assert_refused, flow, step


def recategorise(*steps: dict[str, Any]) -> dict[str, Any]:
    data = flow(*steps, id="case_recategorise", purpose="case", action="recategorise")
    del data["report_kind"]
    return data


def school_folder(tmp_path: Path, **files: dict[str, Any]) -> Path:
    folder = tmp_path / "school"
    folder.mkdir()
    for name, data in files.items():
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return folder


def test_the_new_category_is_offered_from_the_report_flows_as_loaded(tmp_path: Path) -> None:
    builtin = load_flows(BUILTIN_FLOWS)
    category = builtin["case_recategorise"].spec.step("category")
    concern = builtin["concern"].spec.step("category")
    assert [(o.value, o.label) for o in category.options] == [
        (o.value, o.label) for o in concern.options
    ]
    problem = builtin["case_recategorise"].spec.step("problem")
    filtering = builtin["filtering"].spec.step("problem")
    assert [o.value for o in problem.options] == [o.value for o in filtering.options]

    # A school that adds a category of its own can change a report to it.
    own = concern.model_dump(mode="json", exclude_defaults=True)
    own["options"].append({"value": "gaming", "label": "Online gaming"})
    folder = school_folder(tmp_path, concern={"extends": "concern", "steps": [own]})
    flows = load_flows(BUILTIN_FLOWS, folder)
    offered = flows["case_recategorise"].spec.option_label("category", "gaming")
    assert offered == "Online gaming"


def test_options_from_a_flow_that_is_not_loaded_is_refused(tmp_path: Path) -> None:
    data = recategorise(
        step("category", "choice", options_from="concerns"), step("reason", max_length=100)
    )
    folder = school_folder(tmp_path, case_recategorise=data)
    try:
        load_flows(BUILTIN_FLOWS, folder)
    except FlowError as error:
        message = str(error)
    else:
        raise AssertionError("a case flow reading options from no flow was loaded")
    assert message.startswith(f"{folder / 'case_recategorise.yaml'}: steps[0].options_from")
    assert "(step 'category'): there is no report flow 'concerns'" in message


def test_a_recategorise_flow_needs_a_step_that_gives_the_new_category(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        recategorise(step("reason")),
        "a case flow with action: recategorise needs a choice step 'category' or 'problem'",
    )
    assert_refused(
        tmp_path,
        recategorise(
            step(
                "category",
                "choice",
                options=[{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
            ),
            step("reason"),
        ),
        "steps[0].options_from (step 'category'): the new category is one of a report flow's",
    )


def test_options_from_is_only_for_a_case_flows_choice_steps(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        flow(step("colour", "choice", options_from="concern")),
        "(step 'colour'): options_from is only for the steps of a case flow",
    )
    assert_refused(
        tmp_path,
        recategorise(step("category", "text", options_from="concern"), step("reason")),
        "(step 'category'): options_from is only for choice steps",
    )
