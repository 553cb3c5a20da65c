"""The staff self-audit flow (policy Appendix 1): the built-in file, the rules every audit flow
must follow, and rebuilding a flow from the spec a campaign stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs.loader import (
    BUILTIN_FLOWS,
    Flow,
    FlowError,
    flow_from_spec,
    load_flow,
    load_flows,
)
from dialogs.model import FlowSpec

# Policy Appendix 1, "ONLINE SAFETY TRAINING NEEDS AUDIT", copied word for word and in order.
APPENDIX_QUESTIONS = [
    "Do you know the name of the person who has lead responsibility for online safety in school?",
    "Do you know what you must do if a pupil approaches you with a concern or issue?",
    "Are you familiar with the school's acceptable use agreement for staff, volunteers, "
    "governors and visitors?",
    "Are you familiar with the filtering and monitoring systems on the school's devices and "
    "networks?",
    "Do you understand your role and responsibilities in relation to filtering and monitoring?",
    "Are you familiar with the school's acceptable use agreement for pupils and parents?",
    "Do you regularly change your password for accessing the school's ICT systems?",
    "Are you familiar with the school's approach to tackling cyber-bullying?",
]
APPENDIX_TRAINING_QUESTION = (
    "Are there any areas of online safety in which you would like training/further training?"
)
QUESTION_IDS = [
    "knows_lead",
    "pupil_concern",
    "staff_aup",
    "filtering_familiar",
    "filtering_role",
    "pupil_aup",
    "password_change",
    "cyberbullying_approach",
]


@pytest.fixture(scope="module")
def audit() -> Flow:
    return load_flows(BUILTIN_FLOWS)["staff_audit"]


def step(step_id: str, kind: str = "text", **extra: Any) -> dict[str, Any]:
    return {"id": step_id, "kind": kind, "label": step_id.title(), "prompt": "Well?", **extra}


def question(step_id: str, **extra: Any) -> dict[str, Any]:
    return step(step_id, "yes_no", **extra)


def comment(stem: str, **extra: Any) -> dict[str, Any]:
    return step(f"{stem}_comment", **({"required": False, "max_length": 1000} | extra))


def needs(**extra: Any) -> dict[str, Any]:
    return step("training_needs", **({"required": False} | extra))


def audit_flow(*steps: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": "test_audit",
        "version": 1,
        "purpose": "audit",
        "title": "A test audit",
        "intro": "Hello.",
        "help": "Some help.",
        "summary_title": "Your answers",
        "steps": list(steps),
        **fields,
    }


def write(folder: Path, data: Any, name: str = "audit.yaml") -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def assert_refused(folder: Path, data: dict[str, Any], *fragments: str) -> str:
    path = write(folder, data)
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    for fragment in fragments:
        assert fragment in message, message
    return message


# --- The built-in self-audit.


def test_the_builtin_audit_flow_loads(audit: Flow) -> None:
    spec = audit.spec
    assert audit.source == BUILTIN_FLOWS / "staff_audit.yaml"
    assert (spec.id, spec.version, spec.purpose, spec.report_kind) == (
        "staff_audit",
        1,
        "audit",
        None,
    )
    assert spec.title == "Online safety training needs: self-audit"
    assert spec.summary_title == "Your self-audit answers"
    assert spec.submit_label == "Send my answers"
    assert spec.context == ()
    assert audit.conditions == {}
    assert audit.effects == {}
    for words in ("3 minutes", "DSL", "filled in automatically", "closing date", "change"):
        assert words in spec.intro, words
    assert spec.help


def test_the_audit_is_not_offered_as_a_report() -> None:
    flows = load_flows(BUILTIN_FLOWS)
    reports = {flow_id for flow_id, f in flows.items() if f.spec.purpose == "report"}
    assert reports == {"concern", "filtering"}
    assert flows["staff_audit"].spec.purpose == "audit"


def test_the_steps_are_each_question_then_its_comment_then_training_needs(audit: Flow) -> None:
    expected = [s for q in QUESTION_IDS for s in (q, f"{q}_comment")] + ["training_needs"]
    assert [s.id for s in audit.spec.steps] == expected


def test_the_questions_are_the_appendix_word_for_word(audit: Flow) -> None:
    questions = [s for s in audit.spec.steps if s.kind == "yes_no"]
    assert [s.id for s in questions] == QUESTION_IDS
    assert [s.prompt for s in questions] == APPENDIX_QUESTIONS
    assert all(s.required and s.when is None and not s.on_answer for s in questions)
    needs_step = audit.spec.step("training_needs")
    assert needs_step.prompt == APPENDIX_TRAINING_QUESTION
    assert (needs_step.kind, needs_step.required, needs_step.max_length) == ("text", False, 2000)
    assert audit.spec.steps[-1] is needs_step


def test_every_comment_is_optional_text_of_at_most_1000_characters(audit: Flow) -> None:
    for question_id in QUESTION_IDS:
        comment_step = audit.spec.step(f"{question_id}_comment")
        assert comment_step.kind == "text"
        assert comment_step.required is False
        assert comment_step.max_length == 1000
        assert comment_step.prompt == "Any comments? (optional: add comments if necessary)"
        assert audit.spec.index(comment_step.id) == audit.spec.index(question_id) + 1


def test_labels_are_short_and_distinct(audit: Flow) -> None:
    # The summary and the results name each answer by its label; "Change" may find it by label.
    labels = [s.label.casefold() for s in audit.spec.steps]
    assert len(set(labels)) == len(labels)
    assert all(len(s.label) <= 60 for s in audit.spec.steps)


# --- The shape every audit flow must have.


def test_a_small_valid_audit_flow_loads(tmp_path: Path) -> None:
    data = audit_flow(
        question("seen"),
        comment("seen"),
        question("heard"),  # a question needs no comment
        question("deeper", when="seen == 'no'"),
        comment("deeper", when="deeper == 'no'"),
        needs(),
    )
    loaded = load_flow(write(tmp_path, data))
    assert loaded.spec.purpose == "audit"
    assert loaded.spec.report_kind is None
    assert set(loaded.conditions) == {"deeper", "deeper_comment"}
    # the comment counts only while its question is asked
    assert loaded.conditions["deeper_comment"].evaluate({"seen": "no", "deeper": "no"}) is True
    assert loaded.conditions["deeper_comment"].evaluate({"seen": "yes", "deeper": "no"}) is False


def test_an_unknown_purpose_is_refused(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        audit_flow(question("seen"), needs(), purpose="survey"),
        "purpose: Input should be 'report', 'case', 'audit', 'check', 'review', 'brief' or "
        "'briefing'",
    )


def test_a_report_flow_still_needs_its_report_kind(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        audit_flow(question("seen"), needs(), purpose="report"),
        "a report flow needs report_kind",
    )


def test_comment_steps_of_other_flows_are_not_audit_steps(tmp_path: Path) -> None:
    data = audit_flow(step("free_comment", "yes_no"), step("note"), purpose="case", action="note")
    assert load_flow(write(tmp_path, data)).spec.purpose == "case"


def test_an_audit_without_a_yes_no_question(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        audit_flow(step("name"), needs()),
        "steps: an audit flow needs at least one yes_no step",
    )


@pytest.mark.parametrize(
    ("steps", "fragment"),
    [
        (
            [question("seen"), comment("seen", kind="datetime", max_length=None), needs()],
            "steps[1].kind (step 'seen_comment'): a comment step of an audit flow must be a text "
            "step, not datetime",
        ),
        (
            [question("seen"), comment("seen", kind="yes_no", max_length=None), needs()],
            "steps[1].kind (step 'seen_comment'): a comment step of an audit flow must be a text",
        ),
        (
            [question("seen"), comment("seen", required=True), needs()],
            "steps[1].required (step 'seen_comment'): a comment step of an audit flow must be "
            "optional (required: false)",
        ),
        (
            [question("seen"), comment("heard"), needs()],
            "steps[1].id (step 'heard_comment'): in an audit flow a '_comment' step comments on "
            "the yes_no step just before it, which must be 'heard'",
        ),
        (
            [comment("seen"), question("seen"), needs()],
            "steps[0].id (step 'seen_comment'): in an audit flow a '_comment' step comments on",
        ),
        (
            [question("seen"), question("heard"), comment("seen"), needs()],
            "steps[2].id (step 'seen_comment'): in an audit flow a '_comment' step comments on",
        ),
        (
            [question("seen"), step("name"), comment("name"), needs()],
            "steps[2].id (step 'name_comment'): in an audit flow a '_comment' step comments on "
            "the yes_no step just before it, which must be 'name'",
        ),
        (
            [question("seen"), question("deeper", when="seen == 'no'"), comment("deeper"), needs()],
            "steps[2].when (step 'deeper_comment'): its question 'deeper' is not always asked",
        ),
    ],
)
def test_a_comment_step_that_does_not_fit(
    tmp_path: Path, steps: list[dict[str, Any]], fragment: str
) -> None:
    assert_refused(tmp_path, audit_flow(*steps), fragment)


@pytest.mark.parametrize(
    ("steps", "fragment"),
    [
        (
            [question("seen"), comment("seen")],
            "steps: an audit flow must end with the text step 'training_needs' (required: false)",
        ),
        (
            [question("seen"), needs(), comment("seen", id="later")],
            "steps[1] (step 'training_needs'): it must be the last step of an audit flow",
        ),
        (
            [question("seen"), needs(kind="yes_no", required=True)],
            "steps[1].kind (step 'training_needs'): it must be a text step, not yes_no",
        ),
        (
            [question("seen"), needs(required=True)],
            "steps[1].required (step 'training_needs'): it must be optional (required: false)",
        ),
        (
            [question("seen"), step("training_needs")],  # required by default
            "steps[1].required (step 'training_needs'): it must be optional",
        ),
    ],
)
def test_training_needs_missing_or_wrong(
    tmp_path: Path, steps: list[dict[str, Any]], fragment: str
) -> None:
    assert_refused(tmp_path, audit_flow(*steps), fragment)


def test_the_builtin_file_with_its_last_step_removed_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load((BUILTIN_FLOWS / "staff_audit.yaml").read_text(encoding="utf-8"))
    data["steps"] = data["steps"][:-1]
    assert_refused(tmp_path, data, "steps: an audit flow must end with the text step")


# --- Rebuilding a flow from a stored spec.


@pytest.mark.parametrize("flow_id", sorted(load_flows(BUILTIN_FLOWS)))
def test_a_stored_spec_rebuilds_the_same_flow(flow_id: str) -> None:
    loaded = load_flows(BUILTIN_FLOWS)[flow_id]
    stored = json.loads(json.dumps(loaded.spec.model_dump(mode="json")))
    rebuilt = flow_from_spec(stored)
    assert isinstance(rebuilt, Flow)
    assert isinstance(rebuilt.spec, FlowSpec)
    assert rebuilt.spec == loaded.spec
    assert rebuilt.spec.model_dump(mode="json") == stored
    assert rebuilt.id == flow_id
    assert set(rebuilt.conditions) == set(loaded.conditions)
    assert set(rebuilt.effects) == set(loaded.effects)
    for step_id, condition in loaded.conditions.items():
        assert rebuilt.conditions[step_id].source == condition.source


def test_a_rebuilt_flow_evaluates_its_conditions() -> None:
    concern = load_flows(BUILTIN_FLOWS)["concern"]
    rebuilt = flow_from_spec(concern.spec.model_dump(mode="json"))
    assert rebuilt.conditions["image_rules"].evaluate({"category": "image"}) is True
    assert rebuilt.conditions["image_rules"].evaluate({"category": "content"}) is False
    assert rebuilt.effects[("immediate_danger", 0)].evaluate({"immediate_danger": "yes"}) is True


def test_a_stored_spec_is_named_by_default_or_by_its_source(audit: Flow) -> None:
    stored = audit.spec.model_dump(mode="json")
    assert flow_from_spec(stored).source == Path("<stored flow 'staff_audit' v1>")
    source = Path("campaign-7")
    assert flow_from_spec(stored, source=source).source == source


def test_a_stored_spec_is_not_changed(audit: Flow) -> None:
    stored = audit.spec.model_dump(mode="json")
    before = json.dumps(stored, sort_keys=True)
    flow_from_spec(stored)
    assert json.dumps(stored, sort_keys=True) == before


def test_a_campaign_keeps_its_questions_when_the_file_changes(tmp_path: Path, audit: Flow) -> None:
    stored = audit.spec.model_dump(mode="json")
    text = (BUILTIN_FLOWS / "staff_audit.yaml").read_text(encoding="utf-8")
    changed = text.replace(APPENDIX_QUESTIONS[0], "Who leads on online safety here?")
    assert changed != text
    now = load_flow(write(tmp_path, changed, "staff_audit.yaml"))
    assert now.spec.step("knows_lead").prompt == "Who leads on online safety here?"
    assert flow_from_spec(stored).spec.step("knows_lead").prompt == APPENDIX_QUESTIONS[0]


def test_a_broken_stored_spec_is_refused_naming_its_source_and_field(audit: Flow) -> None:
    stored = audit.spec.model_dump(mode="json")
    stored["steps"] = stored["steps"][:-1]
    with pytest.raises(FlowError) as caught:
        flow_from_spec(stored, source=Path("campaign-7"))
    assert str(caught.value).startswith("campaign-7: steps: an audit flow must end with")
    stored = audit.spec.model_dump(mode="json")
    stored["steps"][1]["kind"] = "sideways"
    with pytest.raises(FlowError) as caught:
        flow_from_spec(stored)
    message = str(caught.value)
    assert message.startswith("<stored flow 'staff_audit' v1>: steps[1].kind"), message
    assert "(step 'knows_lead_comment')" in message
    with pytest.raises(FlowError, match=r"^<stored flow None vNone>: id: Field required"):
        flow_from_spec({})
