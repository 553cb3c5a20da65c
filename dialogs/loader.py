"""Loading flow files and refusing, with the file and step named, any that would misbehave."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dialogs.conditions import Answers, Condition, ConditionError, parse_condition
from dialogs.effective import extend, spec_yaml
from dialogs.errors import FlowError as FlowError
from dialogs.model import CaseAction, FlowSpec, StepSpec
from dialogs.offers import check_offers
from dialogs.purposes import (
    check_audit,
    check_case,
    check_check,
    check_image_cases,
    check_review,
    with_report_options,
)

BUILTIN_FLOWS = Path(__file__).parent / "flows"
_VALUED_KINDS = {"choice", "multi_choice", "yes_no", "confirm"}


@dataclass(frozen=True)
class Flow:
    """A validated flow with its conditions compiled."""

    spec: FlowSpec
    source: Path
    conditions: dict[str, Condition]  # step id -> its `when`
    effects: dict[tuple[str, int], Condition]  # (step id, effect index) -> its `when`
    offer: Condition | None = None  # the `when` of the flow's offer, if it has one

    @property
    def id(self) -> str:
        return self.spec.id


def load_flows(*folders: Path | None) -> dict[str, Flow]:
    """Load every `*.yaml`/`*.yml` flow in order; a later folder replaces a flow by its id.

    Two files with the same id in one folder are refused: which one counts would be an accident.
    A file may extend (`extends: <id>`) a flow of an earlier folder. Each case action has one
    flow, and a later folder may replace it but not take it away.
    """
    flows: dict[str, Flow] = {}
    for folder in folders:
        if folder is None:
            continue
        if not folder.is_dir():
            raise FlowError(f"{folder}: flow folder not found")
        earlier = dict(flows)
        here: dict[str, Path] = {}
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            flow = load_flow(path, bases=earlier)
            if flow.id in here:
                raise FlowError(
                    f"{path}: the flow id {flow.id!r} is already used by {here[flow.id]}"
                )
            here[flow.id] = path
            flows[flow.id] = flow
        _check_case_actions(earlier, flows)
    check_offers({flow.id: (flow.spec, flow.source) for flow in flows.values()})
    specs = {flow_id: flow.spec for flow_id, flow in flows.items()}
    return {
        flow_id: replace(flow, spec=with_report_options(flow.source, flow.spec, specs))
        for flow_id, flow in flows.items()
    }


def _check_case_actions(earlier: Mapping[str, Flow], flows: Mapping[str, Flow]) -> None:
    """One flow per case action (the bot starts it by its action), none lost to a later file."""
    by_action: dict[str, Flow] = {}
    # The flows of earlier folders first, so that a clash names the file that caused it.
    kept = [f for f in flows.values() if earlier.get(f.id) is f]
    for flow in [*kept, *(f for f in flows.values() if earlier.get(f.id) is not f)]:
        action = flow.spec.action
        if action is None:
            continue
        if action in by_action:
            raise FlowError(
                f"{flow.source}: action: {action!r} is already the action of the flow "
                f"{by_action[action].id!r} ({by_action[action].source}); each case action has "
                "one flow"
            )
        by_action[action] = flow
    for old in earlier.values():
        action = old.spec.action
        if action is not None and action not in by_action:
            new = flows[old.id]
            raise FlowError(
                f"{new.source}: it replaces the flow {old.id!r}, the case flow for {action!r}, "
                f"but is not a case flow with action: {action}; the bot needs one"
            )


def case_flow(flows: Mapping[str, Flow], action: CaseAction) -> Flow | None:
    """The case flow that declares `action`, if any."""
    return next((f for f in flows.values() if f.spec.action == action), None)


def load_flow(path: Path, *, bases: Mapping[str, Flow] | None = None) -> Flow:
    """Load one flow file; `bases` are the flows an `extends:` in it may name."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise FlowError(f"{path}: cannot read the file ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise FlowError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise FlowError(f"{path}: not valid YAML{where}") from None
    if not isinstance(raw, dict):
        raise FlowError(f"{path}: a flow file must be a mapping with id, title and steps")
    if "extends" in raw:
        raw = extend(path, raw, {flow_id: flow.spec for flow_id, flow in (bases or {}).items()})
    try:
        spec = FlowSpec.model_validate(raw)
    except ValidationError as error:
        raise FlowError(_describe(path, raw, error)) from None
    return _check(path, spec)


def flow_yaml(flow: Flow) -> str:
    """The flow as YAML, as the bot runs it: a flow file that loads as this flow."""
    return spec_yaml(flow.spec, source=flow.source)


def flow_from_spec(spec: Mapping[str, Any], *, source: Path | None = None) -> Flow:
    """Rebuild a flow from a stored `FlowSpec.model_dump(mode="json")`, checked as a file is.

    A run that must keep the questions it started with (an audit campaign) stores its spec and
    rebuilds the flow from it, whatever the file says now. `source` names it in errors and
    becomes `Flow.source`; by default `<stored flow 'id' vN>`.
    """
    raw = dict(spec)
    if source is None:
        source = Path(f"<stored flow {raw.get('id')!r} v{raw.get('version')}>")
    try:
        checked = FlowSpec.model_validate(raw)
    except ValidationError as error:
        raise FlowError(_describe(source, raw, error)) from None
    return _check(source, checked)


def _describe(path: Path, raw: dict[str, object], error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        location = _location(raw, problem["loc"])
        reason = "unknown field" if problem["type"] == "extra_forbidden" else problem["msg"]
        lines.append(f"{path}: {location}: {reason}")
    return "\n".join(lines)


def _location(raw: dict[str, object], loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        parts.append(f"[{item}]" if isinstance(item, int) else f".{item}")
    text = "".join(parts).lstrip(".")
    steps = raw.get("steps")
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int) and isinstance(steps, list):
        index = loc[1]
        if index < len(steps) and isinstance(steps[index], dict) and "id" in steps[index]:
            text += f" (step {steps[index]['id']!r})"
    return text


def _check(path: Path, spec: FlowSpec) -> Flow:
    # Context values (given when the flow starts) read like answered yes/no steps.
    seen: dict[str, StepSpec] = {
        name: StepSpec(id=name, kind="yes_no", prompt=name, label=name) for name in spec.context
    }
    conditions: dict[str, Condition] = {}
    effects: dict[tuple[str, int], Condition] = {}
    for position, step in enumerate(spec.steps):
        where = f"{path}: steps[{position}] (step {step.id!r})"
        if step.id in seen:
            raise FlowError(f"{where}: the id {step.id!r} is used by an earlier step")
        _check_options(where, step)
        _check_meaning(where, spec, step)
        if step.when is not None:
            condition = _condition(f"{where}: when", step.when, seen)
            conditions[step.id] = _live_answers_only(condition, conditions)
        own = {**seen, step.id: step}
        for index, effect in enumerate(step.on_answer):
            condition = _condition(f"{where}: on_answer[{index}].when", effect.when, own)
            effects[(step.id, index)] = _live_answers_only(condition, conditions)
        seen[step.id] = step
    offer = None
    if spec.offer is not None:
        offer = _condition(f"{path}: offer.when", spec.offer.when, seen)
        offer = _live_answers_only(offer, conditions)
        for target, source in spec.offer.carry.items():
            if source not in seen:
                raise FlowError(f"{path}: offer.carry.{target}: {source!r} is not a step of it")
    check_image_cases(path, spec)
    if spec.purpose == "audit":
        check_audit(path, spec)
    if spec.purpose == "case":
        check_case(path, spec)
    if spec.purpose == "check":
        check_check(path, spec)
    if spec.purpose == "review":
        check_review(path, spec)
    return Flow(spec=spec, source=path, conditions=conditions, effects=effects, offer=offer)


def _check_meaning(where: str, spec: FlowSpec, step: StepSpec) -> None:
    if step.options_from is not None and spec.purpose != "case":
        raise FlowError(f"{where}: options_from is only for the steps of a case flow")
    if step.share_with and spec.purpose != "report":
        raise FlowError(f"{where}: share_with is only for the steps of a report flow")
    if any(o.image_case for o in step.options) and step.records not in {"category", "subcategory"}:
        raise FlowError(
            f"{where}: image_case is only for the options of a step with records: category "
            "or records: subcategory (the case is known by the value it records)"
        )


def _check_options(where: str, step: StepSpec) -> None:
    if step.options_from is not None and step.kind != "choice":
        raise FlowError(f"{where}: options_from is only for choice steps")
    if step.kind in {"choice", "multi_choice"} and len(step.options) < 2 and not step.options_from:
        raise FlowError(f"{where}: a {step.kind} step needs at least two options")
    if step.kind in {"yes_no", "text", "datetime", "person"} and step.options:
        raise FlowError(f"{where}: a {step.kind} step takes no options")
    if step.max_length is not None and step.kind not in {"text", "person"}:
        raise FlowError(f"{where}: max_length is only for text and person steps")


def _condition(where: str, source: str, earlier: dict[str, StepSpec]) -> Condition:
    """Parse a condition that may only look at steps asked before it, with values they can take.

    A condition naming a later step, or a value its step cannot produce, could never be true: the
    step it guards would be unreachable, so it is refused here.
    """
    try:
        condition = parse_condition(source)
    except ConditionError as error:
        raise FlowError(f"{where}: {error}") from None
    for step_id, value in condition.references:
        step = earlier.get(step_id)
        if step is None:
            raise FlowError(
                f"{where}: {step_id!r} is not a step asked before this one (unknown step, or it "
                "comes later, so this step could never be reached)"
            )
        allowed = step.values()
        if value is not None and step.kind in _VALUED_KINDS and value not in allowed:
            raise FlowError(
                f"{where}: step {step_id!r} never answers {value!r} "
                f"(its values are {', '.join(sorted(allowed))})"
            )
    for step_id in sorted(condition.members):
        if earlier[step_id].kind != "multi_choice":
            raise FlowError(
                f"{where}: 'value in {step_id}' is only for multi_choice steps; "
                f"{step_id!r} is a {earlier[step_id].kind} step, so use {step_id} == 'value'"
            )
    for step_id in sorted(condition.compared):
        if earlier[step_id].kind == "multi_choice":
            raise FlowError(
                f"{where}: {step_id!r} is a multi_choice step, whose answer is a list: "
                f"use 'value' in {step_id}"
            )
    return condition


def _live_answers_only(condition: Condition, guards: dict[str, Condition]) -> Condition:
    """`condition`, reading an answer only while the step that gave it still applies.

    When a reporter changes an earlier answer, the answers of steps that no longer apply are
    kept (in case they change it back) but must not switch on the steps that follow from them:
    with category changed from 'ai_abuse' to 'content', the old `ai_kind == 'sexual_imagery'`
    must not keep `ai_image_rules` in the report. `guards` holds the (already live-only)
    conditions of earlier steps.
    """
    guarded = {step_id: guards[step_id] for step_id, _ in condition.references if step_id in guards}
    if not guarded:
        return condition
    evaluate = condition.evaluate

    def live(answers: Answers) -> bool:
        kept = {
            step_id: answer
            for step_id, answer in answers.items()
            if step_id not in guarded or guarded[step_id].evaluate(answers)
        }
        return evaluate(kept)

    return replace(condition, evaluate=live)
