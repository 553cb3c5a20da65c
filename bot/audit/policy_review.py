"""The reminder a month before the annual online-safety policy review (policy §12): once per
review date, to the DSL and deputies, on the first channel that reaches each of them. The event
log records that it went, so a restart or a second scheduler does not send it again."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.messages import Notice
from bot.delivery.notifier import Delivery, Notifier
from bot.record.events import record_event
from bot.school.config import Role, SchoolConfig
from bot.words import strings
from storage.models import Event

log = logging.getLogger(__name__)
NOTICE_BEFORE = timedelta(days=30)
KIND = "policy_review_reminded"


class PolicyReviewReminder:
    def __init__(
        self,
        *,
        school: SchoolConfig,
        sessions: async_sessionmaker[AsyncSession],
        notifiers: Mapping[str, Notifier],
        channels: Sequence[str],
        clock: Callable[[], datetime],
    ) -> None:
        self.school = school
        self.sessions = sessions
        self.notifiers = notifiers
        self.channels = channels
        self.clock = clock

    async def __call__(self) -> int:
        """Send it if it is due and not yet sent; the number of people told."""
        review = self.school.audit.policy_review
        now = self.clock()
        today = now.astimezone(self.school.tz).date()
        if review is None or not review - NOTICE_BEFORE <= today <= review:
            return 0
        if await self._already_sent(review):
            return 0
        text = strings.POLICY_REVIEW_DUE.format(day=review.strftime("%d/%m/%Y"))
        told = 0
        for person in self.school.people_with(Role.DSL, Role.DEPUTY_DSL):
            told += await self._tell(person.email, Notice(text, "warning"))
        if told:  # nobody reached: the next run tries again
            async with self.sessions() as session, session.begin():
                await record_event(
                    session,
                    kind=KIND,
                    at=now,
                    actor_email=None,
                    detail={"review": review.isoformat(), "told": told},
                )
            log.info("policy review reminder sent to %d people", told)
        return told

    async def _already_sent(self, review: date) -> bool:
        async with self.sessions() as session:
            details = await session.scalars(select(Event.detail).where(Event.kind == KIND))
            return any((d or {}).get("review") == review.isoformat() for d in details)

    async def _tell(self, email: str, notice: Notice) -> int:
        for channel in self.channels:
            notifier = self.notifiers.get(channel)
            if notifier is None:
                continue
            try:
                await notifier.deliver(Delivery("policy_review", email, [notice]))
            except Exception as error:  # try their next channel; the next run tries again
                log.info(
                    "policy review reminder not delivered on %s: %s", channel, type(error).__name__
                )
                continue
            return 1
        return 0
