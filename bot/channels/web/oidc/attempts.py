"""Sign-ins begun at the identity provider and not yet answered (`web_sign_ins`), in the
database so that any web process can take the answer, and each state is taken once."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import WebSignIn

# How long a person has at the provider's sign-in page before the answer is refused.
GOOD_FOR = timedelta(minutes=10)
Purpose = Literal["sign_in", "step_up"]


@dataclass(frozen=True)
class Attempt:
    nonce: str
    code_verifier: str
    purpose: Purpose
    session_id: str | None
    next_path: str
    created_at: datetime


class Taken:
    """Why an answer's state does not open an attempt."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


class SignInAttempts:
    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]
    ) -> None:
        self.sessions = sessions
        self.clock = clock

    async def begin(
        self,
        *,
        state: str,
        nonce: str,
        code_verifier: str,
        purpose: Purpose,
        session_id: str | None,
        next_path: str,
    ) -> None:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            await session.execute(
                delete(WebSignIn).where(WebSignIn.created_at < now - 2 * GOOD_FOR)
            )
            session.add(
                WebSignIn(
                    id=_key(state),
                    nonce=nonce,
                    code_verifier=code_verifier,
                    purpose=purpose,
                    session_id=session_id,
                    next_path=next_path,
                    created_at=now,
                    used_at=None,
                )
            )

    async def take(self, state: str) -> Attempt | str:
        """The attempt this state began, marked used in the same statement (so two answers
        racing with one state cannot both have it); or why not (a `Taken` value)."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            row = await session.get(WebSignIn, _key(state))
            if row is None:
                return Taken.UNKNOWN
            if row.used_at is not None:
                return Taken.USED
            if now - row.created_at > GOOD_FOR:
                return Taken.EXPIRED
            claimed = await session.execute(
                update(WebSignIn)
                .where(WebSignIn.id == row.id, WebSignIn.used_at.is_(None))
                .values(used_at=now)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return Taken.USED
            purpose: Purpose = "step_up" if row.purpose == "step_up" else "sign_in"
            return Attempt(
                nonce=row.nonce,
                code_verifier=row.code_verifier,
                purpose=purpose,
                session_id=row.session_id,
                next_path=row.next_path,
                created_at=row.created_at,
            )


def _key(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()
