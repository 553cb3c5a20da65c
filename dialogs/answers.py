"""Turning a reply into a step's answer, or a friendly reason why it cannot be one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dialogs.datetimes import DateTimeError, parse_moment, store_moment
from dialogs.model import OptionSpec, StepSpec
from dialogs.strings import ENGLISH, Words
from dialogs.text import clean_typed_text

if TYPE_CHECKING:
    from dialogs.engine import Reply

_FUTURE_SLACK = timedelta(minutes=5)
# A person step's answer picked from the list arrives as "person:<e-mail>"; the button
# "Someone not on this list" sends SOMEONE_ELSE (the engine then asks for their name in words).
PERSON_PREFIX = "person:"
SOMEONE_ELSE = "__someone_else"
# Who is on the school's list: an e-mail address -> that person's name, None if not on it.
People = Callable[[str], str | None]


class AnswerError(Exception):
    """Why a reply is not an answer; `restore_text` gives the user's typing back."""

    def __init__(self, message: str, restore_text: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.restore_text = restore_text


def options_of(step: StepSpec, words: Words = ENGLISH) -> tuple[OptionSpec, ...]:
    if step.kind == "yes_no":
        return (
            OptionSpec(value="yes", label=words.yes),
            OptionSpec(value="no", label=words.no),
        )
    if step.kind == "confirm" and not step.options:
        return (OptionSpec(value="ok", label=words.understood),)
    return step.options


def parse_answer(
    step: StepSpec,
    reply: Reply,
    *,
    now: datetime,
    tz: ZoneInfo,
    people: People | None = None,
    words: Words = ENGLISH,
) -> Any:
    if step.kind == "text":
        return _text(step, reply, words)
    if step.kind == "person":
        return _person(step, reply, people, words)
    if step.kind == "datetime":
        return _moment(step, reply, now=now, tz=tz, words=words)
    if step.kind == "multi_choice":
        return _many(step, reply, words)
    return _one(step, reply, words)


def _text(step: StepSpec, reply: Reply, words: Words) -> str | None:
    typed = reply.text if reply.text is not None else ""
    text = clean_typed_text(typed)
    if not text:
        if step.required:
            raise AnswerError(words.need_answer)
        return None
    if step.max_length is not None and len(text) > step.max_length:
        message = words.too_long.format(length=len(text), limit=step.max_length)
        raise AnswerError(message, restore_text=typed)
    return text


def _person(
    step: StepSpec, reply: Reply, people: People | None, words: Words
) -> dict[str, str] | str | None:
    """Someone picked from the list ({"email", "name"}), or the words typed for someone else.

    A picked e-mail is checked against the list here, so an answer never names someone the
    school file does not (a forged or outdated value is refused, not stored).
    """
    if reply.value is None:
        return _text(step, reply, words)
    if not reply.value.startswith(PERSON_PREFIX):
        raise AnswerError(words.unknown_choice.format(value=reply.value))
    email = reply.value.removeprefix(PERSON_PREFIX).strip().lower()
    name = people(email) if people is not None and email else None
    if name is None:
        raise AnswerError(words.unknown_person)
    return {"email": email, "name": name}


def _moment(step: StepSpec, reply: Reply, *, now: datetime, tz: ZoneInfo, words: Words) -> str:
    typed = (reply.text or reply.value or "").strip()
    if not typed:
        raise AnswerError(words.need_answer)
    try:
        moment = parse_moment(typed, now=now, tz=tz)
    except DateTimeError:
        raise AnswerError(words.bad_date.format(text=typed), restore_text=typed) from None
    if not step.allow_future and _is_future(moment, now=now, tz=tz):
        raise AnswerError(words.future_date, restore_text=typed)
    return store_moment(moment)


def _is_future(moment: datetime | date, *, now: datetime, tz: ZoneInfo) -> bool:
    if isinstance(moment, datetime):
        return moment > now + _FUTURE_SLACK
    return moment > now.astimezone(tz).date()


def _one(step: StepSpec, reply: Reply, words: Words) -> str:
    options = options_of(step, words)
    if reply.value is not None:
        if any(option.value == reply.value for option in options):
            return reply.value
        raise AnswerError(words.unknown_choice.format(value=reply.value))
    typed = " ".join((reply.text or "").split()).casefold()
    if not typed:
        raise AnswerError(words.need_yes_no if step.kind == "yes_no" else words.need_choice)
    if step.kind == "yes_no" and (typed in words.yes_words or typed in words.no_words):
        return "yes" if typed in words.yes_words else "no"
    match = _match(options, typed)
    if match is None:
        message = words.need_yes_no if step.kind == "yes_no" else words.need_choice
        raise AnswerError(message, restore_text=reply.text)
    return match


def _many(step: StepSpec, reply: Reply, words: Words) -> list[str]:
    options = options_of(step, words)
    if reply.values is not None:
        chosen = list(dict.fromkeys(reply.values))
        unknown = [v for v in chosen if all(option.value != v for option in options)]
        if unknown:
            raise AnswerError(words.unknown_choice.format(value=unknown[0]))
    else:
        parts = [p.strip().casefold() for p in (reply.text or reply.value or "").split(",")]
        matches = [_match(options, part) for part in parts if part]
        if any(m is None for m in matches):
            raise AnswerError(words.need_choices, restore_text=reply.text)
        chosen = list(dict.fromkeys(m for m in matches if m is not None))
    if not chosen and step.required:
        raise AnswerError(words.need_choices)
    order = [option.value for option in options]
    return sorted(chosen, key=order.index)


def _match(options: tuple[OptionSpec, ...], typed: str) -> str | None:
    """An option by its number, value or label, or by the start of exactly one label."""
    # isdecimal, not isdigit: int() refuses "²" and "①", which isdigit accepts; and a short
    # number only, as int() refuses thousands of digits.
    if typed.isdecimal() and len(typed) <= 3 and 1 <= int(typed) <= len(options):
        return options[int(typed) - 1].value
    for option in options:
        if typed in {option.value, option.label.casefold()}:
            return option.value
    starts = [o for o in options if len(typed) >= 3 and o.label.casefold().startswith(typed)]
    return starts[0].value if len(starts) == 1 else None
