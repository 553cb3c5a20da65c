"""Follow-ups: the people's alert rules (bot/school/alert_rules.py) in the outbox.

When someone's alert is queued, so is one follow-up row per rule of theirs (an e-mail, a text
message), due that many minutes later. The row goes through the dispatcher like any other, and
is decided when it is due: it goes only if the case is still unacknowledged, the person still
has the rule, an alert about the case was queued for them (the rules add channels, never
people), and the case is not kept from them (whoever an allegation may be about). Otherwise it
is recorded as cancelled. What it says is the reference, the urgency and the kind's card title,
and to open the bot: nothing of the report, nor who made it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_object_session

from bot.delivery.dispatch import Composer
from bot.delivery.messages import Card, CardField, Outbound
from bot.delivery.notifier import NotNeeded
from bot.delivery.outbox import alerted_people, enqueue
from bot.reports import kinds
from bot.school.config import SchoolConfig
from bot.words import strings
from dialogs.datetimes import format_moment
from storage.models import Outbox, Report

if TYPE_CHECKING:  # the cards import the alerts, which queue follow-ups
    from bot.cases.cards import CardMaker

KIND = "follow_up"
# The channels the alerts themselves go on, as the follow-up names them ("open the bot in ...").
_PLATFORM_NAMES = {"teams": "Microsoft Teams", "slack": "Slack", "web": "the web chat"}


async def queue_follow_ups(
    session: AsyncSession,
    *,
    school: SchoolConfig,
    report_id: int,
    emails: Iterable[str],
    now: datetime,
) -> int:
    """Queue the follow-ups of those just alerted, each due after its rule's delay (one per
    person, channel and case: a later level or repeat that alerts them again adds none)."""
    queued = 0
    for email in emails:
        person = school.person(email)
        if person is None:
            continue
        for rule in person.alert_rules:
            queued += await enqueue(
                session,
                report_id=report_id,
                emails=(person.email,),
                channels=(rule.channel,),
                kind=KIND,
                level=0,
                now=now,
                due=now + rule.after,
            )
    return queued


@dataclass(frozen=True)
class FollowUpWords:
    """The outbox's composer, with the follow-ups' words; every other row is `words`'."""

    words: Composer
    cards: CardMaker
    platforms: tuple[str, ...]  # the channels alerts go on
    # Set by `prepare` for one batch: who was alerted about each report a follow-up is due for.
    alerted: Mapping[int, frozenset[str]] | None = None

    async def prepare(
        self, session: AsyncSession, rows: Sequence[Outbox], reports: Mapping[int, Report]
    ) -> FollowUpWords:
        """These words for one batch: `words`' reads, and who was alerted about each report
        a follow-up of the batch is about, read once in the caller's transaction."""
        wanted = {row.report_id for row in rows if row.kind == KIND and row.report_id is not None}
        alerted = {
            report_id: frozenset(await alerted_people(session, report_id=report_id))
            for report_id in wanted
        }
        words = await self.words.prepare(session, rows, reports)
        return replace(self, words=words, alerted=alerted)

    async def messages_for(
        self, row: Outbox, report: Report | None, *, linked: Report | None = None
    ) -> list[Outbound]:
        if row.kind != KIND:
            return await self.words.messages_for(row, report, linked=linked)
        if report is None:
            raise NotNeeded("a follow-up about no report")
        why = await self.why_not(row, report)
        if why is not None:
            raise NotNeeded(why)
        return [self.card(report)]

    async def why_not(self, row: Outbox, report: Report) -> str | None:
        """Why this follow-up is to go no more, read when it is due; None if it is to go."""
        if report.case_status != "open":
            return f"not needed: the case was {report.case_status} before it was due"
        school = self.cards.school
        person = school.person(row.recipient_email)
        if person is None or person.alert_rule(row.channel) is None:
            return "not needed: the person has no such alert rule now"
        if self.cards.kept_out(report, person.email):
            return "withheld: the case is not theirs to handle"
        if person.email not in await self._alerted(report):
            return "withheld: no alert about the case was for them"
        return None

    async def _alerted(self, report: Report) -> Collection[str]:
        """Who was alerted about the case: as the batch read it, or read now through the
        session that loaded the report (nobody, for a report without one)."""
        if self.alerted is not None and report.id in self.alerted:
            return self.alerted[report.id]
        session = async_object_session(report)
        if session is None:
            return ()
        return await alerted_people(session, report_id=report.id)

    def card(self, report: Report) -> Card:
        """The reference, the urgency, the kind as the card's title names it, and where to go:
        what an e-mail or a text message about a case may say."""
        kind = (kinds.find(report.kind) or kinds.default_kind()).alert_title
        urgency = strings.FOLLOW_UP_URGENT if report.urgent else strings.FOLLOW_UP_NOT_URGENT
        template = strings.FOLLOW_UP_TITLE_URGENT if report.urgent else strings.FOLLOW_UP_TITLE
        names = [_PLATFORM_NAMES.get(p, p) for p in self.platforms] or [_PLATFORM_NAMES["web"]]
        where = " or ".join(dict.fromkeys(names))
        alerted = report.alerted_at or report.created_at
        title = template.format(reference=report.reference or "")
        text = strings.FOLLOW_UP_TEXT.format(where=where)
        if report.drill:  # marked first, as every card of a drill is: never taken for real
            kind = strings.DRILL_MARK
            title = f"{strings.DRILL_MARK}. {title}"
            text = f"{strings.DRILL_MARK}. {text}"
        return Card(
            card_id=f"follow-up-{report.id}",
            title=title,
            tone="urgent" if report.urgent else "warning",
            text=text,
            fields=(
                CardField(strings.CARD_REFERENCE, report.reference or ""),
                CardField(strings.CARD_KIND, kind),
                CardField(strings.CARD_URGENCY, urgency),
                CardField(strings.FOLLOW_UP_ALERTED, format_moment(alerted, self.cards.school.tz)),
            ),
        )
