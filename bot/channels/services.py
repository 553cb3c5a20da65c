"""What a channel is given by the app (bot/app.py): the turn entry point and the use cases it
triggers, never the router or a domain package's internals. Every channel calls the same
ones: the chronology export, the audit's results file and the count of cases waiting are each
written once, in their domain package's `use_cases` module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.audit.use_cases import AuditUseCases
from bot.cases.use_cases import CaseUseCases
from bot.delivery.messages import Inbound, Option, Outbound
from bot.monitoring.checks_use_cases import CheckUseCases
from bot.monitoring.review_use_cases import ReviewUseCases
from bot.school.config import SchoolConfig


class PeopleSearch(Protocol):
    """The type-ahead of a person step (bot/chat/people_picker.py)."""

    async def choices(
        self, *, channel: str, conversation_key: str, email: str, step_id: str | None, query: str
    ) -> list[Option] | None: ...


class DeliverDue(Protocol):
    """Deliver at once what waited for `recipient` (they opened the chat, or came back)."""

    def __call__(self, *, recipient: str | None = None) -> Awaitable[int]: ...


@dataclass(frozen=True)
class Services:
    # One turn: an inbound message in, the conversation moved on, neutral replies out.
    handle: Callable[[Inbound], Awaitable[list[Outbound]]]
    people: PeopleSearch
    cases: CaseUseCases
    audits: AuditUseCases
    deliver_due: DeliverDue
    # For the channel's own stores (its address directory, the web chat's sessions).
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    school: SchoolConfig
    # The report flows' menu entries: the value that starts each, and its title.
    report_menu: tuple[tuple[str, str], ...] = ()
    # The filtering checks' spreadsheet (bot/monitoring/checks_use_cases.py).
    checks: CheckUseCases | None = None
    # The annual filtering and monitoring review's document (bot/monitoring/review_use_cases.py).
    reviews: ReviewUseCases | None = None


class Schools(Protocol):
    """The schools a deployment serves, as a channel sees them (one, or a trust's: see
    bot/trust_desk.py). A turn goes to the school the person is talking to, asking them which
    when they are on the staff of several; a download, to the school whose link it is."""

    async def handle(self, inbound: Inbound) -> list[Outbound]: ...

    async def of(
        self, *, channel: str, conversation_key: str, email: str, key: str | None = None
    ) -> Services:
        """The use cases of the school `key` names (a link's, if the person is on its staff),
        else of the school this conversation is with: their one school, or the one they chose."""
        ...

    async def deliver_due(self, *, recipient: str) -> int:
        """Deliver at once what waited for `recipient`, from every school."""
        ...

    async def trust_chart(self, email: str) -> bytes | None:
        """The trust's figures as a chart (PNG), for a trust's safeguarding lead; else None."""
        ...


@dataclass(frozen=True)
class OneSchool:
    """A deployment of one school: every turn and download is its."""

    services: Services

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        return await self.services.handle(inbound)

    async def of(
        self, *, channel: str, conversation_key: str, email: str, key: str | None = None
    ) -> Services:
        return self.services

    async def deliver_due(self, *, recipient: str) -> int:
        return await self.services.deliver_due(recipient=recipient)

    async def trust_chart(self, email: str) -> bytes | None:
        return None  # one school: no trust
