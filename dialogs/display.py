"""Building the neutral prompts for a step, the summary and the cancel question."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dialogs.answers import SOMEONE_ELSE, options_of
from dialogs.datetimes import format_moment, load_moment
from dialogs.model import StepSpec
from dialogs.prompts import Option, Question, Summary, SummaryRow
from dialogs.strings import ENGLISH, Words
from dialogs.text import defang, shown_text, visible_bidi

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from dialogs.engine import Dialog, DialogState


def question_for(dialog: Dialog, state: DialogState, step: StepSpec) -> Question:
    applicable = [s.id for s in dialog.applicable(state)]
    position = applicable.index(step.id) + 1 if step.id in applicable else len(applicable)
    words = dialog.words
    actions = [_back(words)] if state.history else []
    if not step.required:
        actions.append(Option("__skip", words.skip))
    actions += [Option("__help", words.help), _cancel(words)]
    current = state.answers.get(step.id)
    options = tuple(Option(o.value, o.label) for o in options_of(step, words))
    if step.kind == "person":
        options = (Option(SOMEONE_ELSE, words.someone_else),)
    return Question(
        step_id=step.id,
        input=step.kind,
        text=step.prompt,
        options=options,
        hint=step.hint,
        guidance=step.guidance,
        max_length=step.max_length,
        required=step.required,
        progress=(position, len(applicable)),
        current_answer=None if current is None else display_value(step, current, dialog.tz, words),
        actions=tuple(actions),
    )


def summary_for(dialog: Dialog, state: DialogState) -> Summary:
    words = dialog.words
    rows = tuple(
        SummaryRow(
            step.id, step.label, display_value(step, state.answers[step.id], dialog.tz, words)
        )
        for step in dialog.applicable(state)
        if step.id in state.answers
    )
    options = (
        Option("__submit", dialog.spec.submit_label, "primary"),
        _back(words),
        _cancel(words),
    )
    return Summary(dialog.spec.summary_title, rows, words.summary_text, options)


def cancel_question(urgent: bool, words: Words = ENGLISH) -> Question:
    text = words.cancel_question_urgent if urgent else words.cancel_question
    options = (
        Option("__cancel_no", words.cancel_keep, "primary"),
        Option("__cancel_yes", words.cancel_confirm, "danger"),
    )
    return Question(step_id=None, input="confirm", text=text, options=options)


def answer_label(
    prompt: Question | Summary,
    value: str | None,
    values: tuple[str, ...] | None,
    words: Words = ENGLISH,
) -> str:
    """What a click on `prompt` said, as the person reads it: the labels of the buttons or boxes."""
    buttons = [*prompt.options, *(prompt.actions if isinstance(prompt, Question) else ())]
    labels = {o.value: o.label for o in buttons}
    if values is not None:
        return ", ".join(labels.get(v, v) for v in values) or words.not_answered
    if value is not None and value.startswith("edit:") and isinstance(prompt, Summary):
        rows = {f"edit:{row.step_id}": row.label for row in prompt.rows}
        return words.change_row.format(label=rows.get(value, value.removeprefix("edit:")))
    return labels.get(value or "", value or "")


def asked_before(dialog: Dialog, state: DialogState, token: str | None) -> Question | None:
    """The question an old click token named, if it is a step of this flow, as it reads now
    (None when the token names no step here)."""
    step_id = (token or "").rpartition(".")[0]
    if not dialog.spec.has_step(step_id):
        return None
    return question_for(dialog, state, dialog.spec.step(step_id))


def display_value(step: StepSpec, value: Any, tz: ZoneInfo, words: Words = ENGLISH) -> str:
    """An answer as a person reads it: labels not codes, dates in words, and what was typed as
    `shown_text` shows it (every address defanged, direction controls made visible). A step
    marked `defang` (a search term, an address) has every dot defanged, not only an address's."""
    if value is None or value == []:
        return words.not_answered
    labels = {o.value: o.label for o in options_of(step, words)}
    if isinstance(value, list):
        return ", ".join(str(labels.get(v, v)) for v in value)
    if step.kind == "datetime":
        return format_moment(load_moment(value), tz)
    if step.kind in {"choice", "yes_no", "confirm"}:
        return str(labels.get(value, value))
    if isinstance(value, dict):  # a person picked from the school's list, or a name typed
        return shown_text(str(value.get("name") or value.get("email") or words.not_answered))
    return defang(visible_bidi(str(value))) if step.defang else shown_text(str(value))


def _back(words: Words) -> Option:
    return Option("__back", words.back)


def _cancel(words: Words) -> Option:
    return Option("__cancel", words.cancel, "danger")
