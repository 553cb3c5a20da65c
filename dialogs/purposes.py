"""What the bot reads from a flow, by its purpose, checked when the flow is loaded: the steps a
case flow's action records, the shape an audit's results are read in, and the options that make
a report an image case. A flow that lacks what the bot will read is refused at start, naming
the file and the step, not after someone has filled it in."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from string import Formatter

from dialogs.errors import FlowError
from dialogs.model import CaseAction, FlowSpec, OptionSpec, StepKind

# The shape of an audit flow (purpose: audit), which the audit's results are read by.
AUDIT_COMMENT_SUFFIX = "_comment"
AUDIT_NEEDS_STEP = "training_needs"
# The annual filtering and monitoring review (purpose: review): its text steps, one per heading
# of the review document, in the DfE standard's order (bot/monitoring/review_document.py), and
# what its prompts, hints and intro may name, filled in when the review opens: the year's
# figures from the bot's records, the named roles, and the period the figures cover.
REVIEW_STEPS = (
    "provision",
    "responsibility",
    "changes",
    "checks",
    "reports",
    "training",
    "actions",
)
REVIEW_FIELDS = frozenset({"figures", "roles", "period", "checks_figures", "reports_figures"})
# What the bot reads from the answers of each case flow (purpose: case), by its action: step id
# -> (kind, whether the bot needs its answer, so it is asked every time and must be answered).
CASE_ACTION_STEPS: dict[CaseAction, dict[str, tuple[StepKind, bool]]] = {
    "note": {"note": ("text", True)},
    "action": {
        "action": ("choice", True),
        "authorised_by": ("text", False),
        "parents_not_why": ("text", False),
        "details": ("text", True),
        "done_at": ("datetime", True),
    },
    "close": {
        "referral_criteria": ("multi_choice", False),
        "decision": ("multi_choice", True),
        "no_referral_reason": ("text", False),
        "allegation_outcome": ("choice", False),
        "child_views": ("text", False),
        "support": ("text", False),
        "reporter_told": ("yes_no", False),
        "outcome": ("text", True),
        "reasons": ("text", True),
        "child_dob": ("datetime", False),  # the retention review's date (bot/cases/retention.py)
    },
    "reopen": {"reason": ("text", True)},
    # The new category: `category` for a concern, `problem` for a filtering report, each a
    # choice step whose options are its report flow's (options_from).
    "recategorise": {
        "category": ("choice", False),
        "problem": ("choice", False),
        "reason": ("text", True),
    },
}
# The steps of a recategorise flow that give the new category, each asked for one kind of
# report (by the context `filtering_report`).
RECATEGORISE_STEPS = ("category", "problem")
# The context a case flow is started with: whether the case is a nude or semi-nude image case,
# whether it is an allegation about an adult in school (KCSIE Part 4), and whether the report is
# a filtering report (not a concern).
CASE_CONTEXT = {"image_case", "allegation", "filtering_report"}
# What a case flow's `done` message may name: the case's reference.
CASE_DONE_FIELD = "reference"


def with_report_options(path: Path, spec: FlowSpec, flows: Mapping[str, FlowSpec]) -> FlowSpec:
    """`spec` with each `options_from` step given the options of that report flow's
    `records: category` step, as loaded (a school's own categories included)."""
    if not any(step.options_from for step in spec.steps):
        return spec
    steps = []
    for position, step in enumerate(spec.steps):
        if step.options_from is None:
            steps.append(step)
            continue
        where = f"{path}: steps[{position}].options_from (step {step.id!r})"
        source = flows.get(step.options_from)
        if source is None or source.purpose != "report":
            raise FlowError(f"{where}: there is no report flow {step.options_from!r}")
        category = next((s for s in source.steps if s.records == "category"), None)
        if category is None:
            raise FlowError(
                f"{where}: the flow {step.options_from!r} has no step with records: category"
            )
        options = tuple(OptionSpec(value=o.value, label=o.label) for o in category.options)
        steps.append(step.model_copy(update={"options": options}))
    return spec.model_copy(update={"steps": tuple(steps)})


def check_image_cases(path: Path, spec: FlowSpec) -> None:
    """A report keeps only the value of its category and subcategory, so one value cannot be an
    image case in one step and not in another that records the same."""
    flags: dict[tuple[str, str], tuple[bool, str]] = {}
    for position, step in enumerate(spec.steps):
        if step.records not in {"category", "subcategory"}:
            continue
        for option in step.options:
            key = (step.records, option.value)
            earlier = flags.setdefault(key, (option.image_case, step.id))
            if earlier[0] != option.image_case:
                here, there = ("marked", "is not") if option.image_case else ("not marked", "is")
                raise FlowError(
                    f"{path}: steps[{position}] (step {step.id!r}): the option {option.value!r} "
                    f"is {here} image_case here but {there} in step {earlier[1]!r}, which "
                    f"records the same {step.records}: a report keeps only the value, so mark "
                    "both or neither"
                )


def check_case(path: Path, spec: FlowSpec) -> None:
    """A case flow asks what the bot reads for its action (CASE_ACTION_STEPS), and its context
    is only what the bot gives a case flow."""
    assert spec.action is not None  # FlowSpec requires it of a case flow
    unknown = [name for name in spec.context if name not in CASE_CONTEXT]
    if unknown:
        raise FlowError(
            f"{path}: context: a case flow is given only {', '.join(sorted(CASE_CONTEXT))}, "
            f"not {', '.join(unknown)}"
        )
    _check_done(path, spec.done)
    for step_id, (kind, needed) in CASE_ACTION_STEPS[spec.action].items():
        if not spec.has_step(step_id):
            if not needed:
                continue
            raise FlowError(
                f"{path}: steps: a case flow with action: {spec.action} needs the {kind} step "
                f"{step_id!r} (the bot records its answer)"
            )
        step, position = spec.step(step_id), spec.index(step_id)
        where = f"{path}: steps[{position}].{{field}} (step {step_id!r})"
        if step.kind != kind:
            raise FlowError(
                where.format(field="kind")
                + f": for action: {spec.action} it must be a {kind} step, not {step.kind}"
            )
        if needed and not step.required:
            raise FlowError(
                where.format(field="required")
                + f": for action: {spec.action} it must be answered (required: true)"
            )
        if needed and step.when is not None:
            raise FlowError(
                where.format(field="when")
                + f": for action: {spec.action} it must be asked every time (no when)"
            )
    if spec.action == "recategorise":
        _check_recategorise(path, spec)


def _check_done(path: Path, done: str | None) -> None:
    """A case flow's `done` names nothing but the case's {reference}: anything else would fail
    only once someone had filled the form in."""
    if done is None:
        return
    try:
        fields = {name for _, name, _, _ in Formatter().parse(done) if name is not None}
    except ValueError as error:  # a lone "{" or "}"
        raise FlowError(f"{path}: done: {error} (write {{{{ or }}}} for a brace)") from None
    others = fields - {CASE_DONE_FIELD}
    if others:
        named = ", ".join(sorted(f"{{{name}}}" for name in others))
        raise FlowError(
            f"{path}: done: it may name only {{{CASE_DONE_FIELD}}} (the case's reference), "
            f"not {named}"
        )


def _check_recategorise(path: Path, spec: FlowSpec) -> None:
    """The new category is one of its report flow's: a step that gives it reads its options."""
    given = [step_id for step_id in RECATEGORISE_STEPS if spec.has_step(step_id)]
    if not given:
        raise FlowError(
            f"{path}: steps: a case flow with action: recategorise needs a choice step "
            f"{' or '.join(map(repr, RECATEGORISE_STEPS))} (the new category)"
        )
    for step_id in given:
        if spec.step(step_id).options_from is None:
            raise FlowError(
                f"{path}: steps[{spec.index(step_id)}].options_from (step {step_id!r}): the "
                "new category is one of a report flow's: name it (options_from: concern)"
            )


def check_audit(path: Path, spec: FlowSpec) -> None:
    """An audit flow: yes/no questions, each optionally followed by its `<id>_comment` text
    step, and last the optional text step `training_needs`. Its results are read that way."""
    steps = spec.steps
    if not any(step.kind == "yes_no" for step in steps):
        raise FlowError(f"{path}: steps: an audit flow needs at least one yes_no step (a question)")
    for position, step in enumerate(steps):
        if not step.id.endswith(AUDIT_COMMENT_SUFFIX):
            continue
        where = f"{path}: steps[{position}].{{field}} (step {step.id!r})"
        stem = step.id.removesuffix(AUDIT_COMMENT_SUFFIX)
        previous = steps[position - 1] if position > 0 else None
        if previous is None or previous.id != stem or previous.kind != "yes_no":
            raise FlowError(
                where.format(field="id")
                + f": in an audit flow a '{AUDIT_COMMENT_SUFFIX}' step comments on the yes_no "
                f"step just before it, which must be {stem!r}"
            )
        if step.kind != "text":
            raise FlowError(
                where.format(field="kind")
                + f": a comment step of an audit flow must be a text step, not {step.kind}"
            )
        if step.required:
            raise FlowError(
                where.format(field="required")
                + ": a comment step of an audit flow must be optional (required: false)"
            )
        if previous.when is not None and step.when is None:
            raise FlowError(
                where.format(field="when")
                + f": its question {stem!r} is not always asked, so the comment needs a `when` "
                "too (or it could be asked without its question)"
            )
    last, position = steps[-1], len(steps) - 1
    if not spec.has_step(AUDIT_NEEDS_STEP):
        raise FlowError(
            f"{path}: steps: an audit flow must end with the text step {AUDIT_NEEDS_STEP!r} "
            "(required: false), which asks what training people would like"
        )
    if last.id != AUDIT_NEEDS_STEP:
        index = spec.index(AUDIT_NEEDS_STEP)
        raise FlowError(
            f"{path}: steps[{index}] (step {AUDIT_NEEDS_STEP!r}): it must be the last step "
            "of an audit flow"
        )
    where = f"{path}: steps[{position}].{{field}} (step {AUDIT_NEEDS_STEP!r})"
    if last.kind != "text":
        raise FlowError(where.format(field="kind") + f": it must be a text step, not {last.kind}")
    if last.required:
        raise FlowError(where.format(field="required") + ": it must be optional (required: false)")


# The shape of a filtering check flow (purpose: check), which bot/monitoring/checks.py records:
# step id -> kind, each asked every time; and one `result_<category>` choice step per category
# tested, answered with one of CHECK_RESULTS.
CHECK_STEPS: dict[str, StepKind] = {
    "device": "text",
    "user_group": "choice",
    "location": "text",
    "test": "choice",
    "action": "text",
}
CHECK_RESULT_PREFIX = "result_"
CHECK_RESULTS = ("blocked", "not_blocked", "not_tested")


def check_check(path: Path, spec: FlowSpec) -> None:
    """A check flow asks, every time, what a check records (CHECK_STEPS), and at least one
    category's result: a choice of exactly CHECK_RESULTS."""
    for step_id, kind in CHECK_STEPS.items():
        if not spec.has_step(step_id):
            raise FlowError(
                f"{path}: steps: a check flow needs the {kind} step {step_id!r} (the bot "
                "records its answer)"
            )
        step, position = spec.step(step_id), spec.index(step_id)
        where = f"{path}: steps[{position}].{{field}} (step {step_id!r})"
        if step.kind != kind:
            raise FlowError(where.format(field="kind") + f": it must be a {kind} step")
        if not step.required or step.when is not None:
            raise FlowError(
                where.format(field="required")
                + ": a check flow asks it every time (required: true, no when)"
            )
    results = [s for s in spec.steps if s.id.startswith(CHECK_RESULT_PREFIX)]
    if not results:
        raise FlowError(
            f"{path}: steps: a check flow needs at least one '{CHECK_RESULT_PREFIX}<category>' "
            "step (a category's result)"
        )
    for step in results:
        where = f"{path}: steps[{spec.index(step.id)}] (step {step.id!r})"
        if step.kind != "choice" or {o.value for o in step.options} != set(CHECK_RESULTS):
            raise FlowError(
                f"{where}: a category's result is a choice step with the options "
                f"{', '.join(CHECK_RESULTS)}"
            )
        if not step.required or step.when is not None:
            raise FlowError(f"{where}: a check flow asks it every time (required: true, no when)")


def check_review(path: Path, spec: FlowSpec) -> None:
    """A review flow asks each of REVIEW_STEPS as a text step (the document's headings, in
    its order), and its words name only REVIEW_FIELDS: anything else would fail only on the
    day the review opens."""
    for step_id in REVIEW_STEPS:
        if not spec.has_step(step_id):
            raise FlowError(
                f"{path}: steps: a review flow needs the text step {step_id!r} (a heading of "
                "the review document)"
            )
        step = spec.step(step_id)
        if step.kind != "text":
            raise FlowError(
                f"{path}: steps[{spec.index(step_id)}].kind (step {step_id!r}): a review "
                f"flow's {step_id!r} must be a text step, not {step.kind}"
            )
    texts: list[tuple[str, str | None]] = [("intro", spec.intro)]
    for position, step in enumerate(spec.steps):
        texts += [
            (f"steps[{position}].prompt", step.prompt),
            (f"steps[{position}].hint", step.hint),
        ]
    for where, text in texts:
        if text is None:
            continue
        try:
            names = {name for _, name, _, _ in Formatter().parse(text) if name is not None}
        except ValueError as error:
            raise FlowError(f"{path}: {where}: {error} (write {{{{ or }}}} for a brace)") from None
        unknown = names - REVIEW_FIELDS
        if unknown:
            raise FlowError(
                f"{path}: {where}: a review flow may name only "
                f"{', '.join(sorted('{' + n + '}' for n in REVIEW_FIELDS))}, not "
                f"{', '.join(sorted('{' + n + '}' for n in unknown))}"
            )
