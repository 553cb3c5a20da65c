"""Web chat sign-ins kept on the server (`web_sessions`): started by the demo sign-in or the
school's identity provider, ended by sign-out, an idle timeout or 12 hours, whichever comes
first, in every web process at once. A step-up (signing in again at the provider) moves
`authenticated_at` on: the DSL's sign-in must be that recent to open a case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.web import auth
from bot.school.config import Person, SchoolConfig
from storage.db import table_of
from storage.models import WebSession

# How stale `last_seen_at` may get before a request writes it again: one write a minute at
# most, however busy the tab, at the cost of an idle timeout up to a minute late.
TOUCH_EVERY = timedelta(minutes=1)
MAX_AGE = timedelta(seconds=auth.MAX_AGE_SECONDS)
SKEW = timedelta(seconds=auth.CLOCK_SKEW_SECONDS)
_table = table_of(WebSession)
_CHECK = select(_table).where(_table.c.id == bindparam("session_id"))
_TOUCH = (
    update(_table)
    .where(_table.c.id == bindparam("session_id"))
    .values(last_seen_at=bindparam("now"))
)
# Rows of ended sessions are kept this long (a sign-in leaves no other trace), then deleted.
KEEP_ENDED = timedelta(days=2)


class SessionEnded(Exception):
    """The sign-in a turn came through has ended (signed out, idle, too old)."""


@dataclass(frozen=True)
class SignedIn:
    """A live session: who, and the id of its row."""

    person: Person
    session_id: str
    method: str = "demo"
    authenticated_at: datetime | None = None
    mfa: bool = False
    provider_auth_time: int | None = None


class WebSessions:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        school: SchoolConfig,
        clock: Callable[[], datetime],
        idle_dsl: timedelta,
        idle_staff: timedelta,
        step_up_after: timedelta = timedelta(minutes=10),
    ) -> None:
        self.sessions = sessions
        self.school = school
        self.clock = clock
        self.idle_dsl = idle_dsl
        self.idle_staff = idle_staff
        self.step_up_after = step_up_after

    def idle_limit(self, person: Person) -> timedelta:
        """The DSL, deputies and head see every case: their sign-in ends sooner."""
        return self.idle_dsl if person.handles_cases else self.idle_staff

    async def start(
        self,
        person: Person,
        *,
        replacing: str | None = None,
        method: str = "demo",
        mfa: bool = False,
        provider_auth_time: int | None = None,
    ) -> str:
        """A new session for `person`; returns the token for the cookie. The browser's previous
        session (`replacing`) ends: one cookie, one live session."""
        token = auth.new_token()
        now = self.clock()
        async with self.sessions() as session, session.begin():
            if replacing is not None:
                await session.execute(
                    update(WebSession)
                    .where(WebSession.id == replacing, WebSession.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
            await session.execute(
                delete(WebSession).where(WebSession.last_seen_at < now - MAX_AGE - KEEP_ENDED)
            )
            session.add(
                WebSession(
                    id=auth.session_id(token),
                    email=person.email,
                    created_at=now,
                    last_seen_at=now,
                    revoked_at=None,
                    method=method,
                    authenticated_at=now,
                    mfa=mfa,
                    provider_auth_time=provider_auth_time,
                )
            )
        return token

    async def check(self, session_id: str, *, touch: bool = True) -> SignedIn | None:
        """The live session with this id, or None; `touch` counts this as activity."""
        async with self.sessions() as session, session.begin():
            return await self.checked(session, session_id, touch=touch)

    def gate(self, session_id: str) -> Callable[[AsyncSession], Awaitable[None]]:
        """A turn's condition (`Inbound.gate`): this session is live, checked and touched in the
        turn's own transaction; `SessionEnded` refuses the turn."""

        async def live(session: AsyncSession) -> None:
            if await self.checked(session, session_id) is None:
                raise SessionEnded(session_id)

        return live

    async def checked(
        self, session: AsyncSession, session_id: str, *, touch: bool = True
    ) -> SignedIn | None:
        """`check`, in the caller's transaction."""
        now = self.clock()
        # Every websocket frame asks this: one prepared Core SELECT, not an ORM load.
        row = (await session.execute(_CHECK, {"session_id": session_id})).first()
        person = self._live(row, now)
        if row is None or person is None:
            return None
        if touch and now - row.last_seen_at >= TOUCH_EVERY:
            await session.execute(_TOUCH, {"session_id": session_id, "now": now})
        authenticated_at = row.authenticated_at or row.created_at
        return SignedIn(
            person,
            session_id,
            row.method,
            authenticated_at,
            row.mfa,
            row.provider_auth_time,
        )

    def needs_step_up(self, signed_in: SignedIn) -> bool:
        """Whether this person must sign in again at the provider before opening a case: the
        case handlers, signed in through the provider longer ago than the step-up time. (A
        demo sign-in, loopback only, has no provider to go back to.)"""
        if signed_in.method != "oidc" or not signed_in.person.handles_cases:
            return False
        since = signed_in.authenticated_at
        return since is None or self.clock() - since > self.step_up_after

    async def stepped_up(self, session_id: str, *, mfa: bool, provider_auth_time: int) -> bool:
        """The person of this live session has just signed in again; False if it has ended."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            row = await session.get(WebSession, session_id)
            if self._live(row, now) is None or row is None:
                return False
            row.authenticated_at = now
            row.last_seen_at = now
            row.mfa = mfa
            row.provider_auth_time = provider_auth_time
        return True

    async def live(self, session_ids: Collection[str]) -> set[str]:
        """Which of these sessions are live (for a push: not activity, so nothing is written)."""
        if not session_ids:
            return set()
        now = self.clock()
        async with self.sessions() as session:
            rows = await session.scalars(
                select(WebSession).where(WebSession.id.in_(list(session_ids)))
            )
            return {row.id for row in rows if self._live(row, now) is not None}

    async def end_all(self, email: str) -> None:
        """Sign-out: every session of this person ends, in every process."""
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(WebSession)
                .where(WebSession.email == email, WebSession.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )

    def _live(self, row: WebSession | Row[Any] | None, now: datetime) -> Person | None:
        if row is None or row.revoked_at is not None:
            return None
        person = self.school.person(row.email)
        if person is None or not -SKEW <= now - row.created_at <= MAX_AGE:
            return None
        if now - row.last_seen_at > self.idle_limit(person):
            return None
        return person
