"""PostgreSQL advisory locks: how several processes on one database take turns.

Each key is a fixed number of this application's own; PostgreSQL keeps advisory locks apart from
row and table locks, so they block nothing else. On SQLite only one process runs (the bot
refuses a second, see `bot.single_process`), so there is nothing to serialise.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

# Arbitrary, but fixed forever: two versions of the bot on one database must agree on them.
MIGRATIONS_LOCK = 0x0B07_5AFE_0001  # schema upgrades and the people sync at start
SCHEDULER_LOCK = 0x0B07_5AFE_0002  # the scheduler leader (held for as long as it leads)
_SCHOOL_SCHEDULERS = 0x0B07_5C40_0000  # + the school's id: another school's scheduler leader


def scheduler_lock(school_id: int) -> int:
    """The scheduler leader's key for one school: each school of a database has its own
    leader (its escalations must run whoever leads another school's). The first school keeps
    the key every release before schools used, so an older replica and a newer agree on it."""
    return SCHEDULER_LOCK if school_id == 1 else _SCHOOL_SCHEDULERS + school_id


async def serialise(connection: AsyncConnection | AsyncSession, key: int) -> None:
    """Wait for `key` until the end of the current transaction (no-op on SQLite)."""
    bind = connection.get_bind() if isinstance(connection, AsyncSession) else connection
    if bind.dialect.name != "postgresql":
        return
    await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
