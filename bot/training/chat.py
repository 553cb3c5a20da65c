"""The DSL's training commands (policy §11): `training` shows who is overdue and, apart, whose
training falls due before this academic year ends, with their last dates; `training record
<e-mail> <induction|refresher|dsl|dsl_update> <date>` adds a record."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.messages import Card, CardField, Notice, Outbound, User
from bot.school.config import Role, SchoolConfig
from bot.training import service as training
from bot.words import strings

log = logging.getLogger(__name__)
ROLES = (Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER)
MAX_FIELDS = 40


class TrainingCommands:
    def __init__(self, school: SchoolConfig, clock: Callable[[], datetime]) -> None:
        self.school = school
        self.clock = clock

    async def command(
        self, session: AsyncSession, words: list[str], user: User, now: datetime
    ) -> list[Outbound] | None:
        """None if `words` is not a training command."""
        if not words or words[0] != "training":
            return None
        person = self.school.person(user.email)
        if person is None or not any(person.has_role(role) for role in ROLES):
            log.warning("training command refused")
            return [Notice(strings.TRAINING_NOT_ALLOWED, "error")]
        if len(words) == 1 or words[1] in {"overdue", "status"}:
            return await self.overdue(session, now)
        if words[1] == "record":
            return await self.record(session, words[2:], user, now)
        return [Notice(strings.TRAINING_COMMANDS, "guidance")]

    async def overdue(self, session: AsyncSession, now: datetime) -> list[Outbound]:
        today = now.astimezone(self.school.tz).date()
        everyone = await training.overview(session, self.school.people, today=today)
        late = [p for p in everyone if p.overdue]
        soon = [p for p in everyone if p.due]
        if not late and not soon:
            return [Notice(strings.TRAINING_ALL_CURRENT, "success")]
        cards: list[Outbound] = []
        for group, people in (("overdue", late), ("due", soon)):
            for start in range(0, len(people), MAX_FIELDS):
                chunk = people[start : start + MAX_FIELDS]
                fields = tuple(CardField(p.name, _line(p, group)) for p in chunk)
                template = strings.TRAINING_OVERDUE if group == "overdue" else strings.TRAINING_DUE
                title = template.format(
                    n=len(people), of=len(everyone), year=everyone[0].academic_year
                )
                cards.append(Card(card_id=f"training-{group}-{start}", title=title, fields=fields))
        return cards

    async def record(
        self, session: AsyncSession, args: list[str], user: User, now: datetime
    ) -> list[Outbound]:
        if len(args) != 3 or args[1] not in training.KINDS:
            return [Notice(strings.TRAINING_RECORD_USAGE, "error")]
        email, kind, when = args
        if self.school.person(email) is None:
            return [Notice(strings.TRAINING_UNKNOWN_PERSON.format(email=email), "error")]
        day = _parse_date(when)
        if day is None or day > now.astimezone(self.school.tz).date():
            return [Notice(strings.TRAINING_BAD_DATE.format(given=when), "error")]
        added = await training.add_record(
            session,
            email=email,
            kind=kind,
            completed_on=day,
            source="dsl",
            recorded_by=user.email,
            now=now,
        )
        template = strings.TRAINING_RECORDED if added else strings.TRAINING_ALREADY
        label = strings.TRAINING_KINDS[kind]
        return [Notice(template.format(kind=label, email=email, day=day.strftime("%d/%m/%Y")))]


def _line(person: training.PersonTraining, group: str) -> str:
    """What is overdue (or, for the "due" group, due this year), then the last dates."""
    seen = [
        strings.TRAINING_DONE_ON.format(kind=label, day=person.latest[kind].strftime("%d/%m/%Y"))
        for kind, label in strings.TRAINING_KINDS.items()
        if kind in person.latest
    ]
    kinds, texts = (
        (person.overdue, strings.TRAINING_MISSING)
        if group == "overdue"
        else (person.due, strings.TRAINING_DUE_KINDS)
    )
    missing = [
        texts[kind].format(year=person.academic_year, years=training.DSL_TRAINING_EVERY_YEARS)
        for kind in kinds
    ]
    last = strings.TRAINING_LAST.format(dates=", ".join(seen)) if seen else ""
    return "; ".join(missing) + last


def _parse_date(text: str) -> date | None:
    for parse in (date.fromisoformat, _uk_date):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _uk_date(text: str) -> date:
    day, month, year = (int(part) for part in text.split("/"))
    return date(year, month, day)
