"""The database engine and sessions, for SQLite (the default) and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_

from storage import sqlite_driver

# PostgreSQL connections per process: SQLAlchemy's default (5, and 10 more at a peak) ran out
# with 50 people answering at once, and turns queued for a connection rather than for the
# event loop. 10 + 10 keeps three processes (two web, one scheduler) at 60 of PostgreSQL's
# default 100 connections.
POOL_SIZE = 10
POOL_OVERFLOW = 10
# A pooled PostgreSQL connection unused this long (seconds) is checked before it is handed out:
# one lost meanwhile (a server restart, a network drop) is replaced rather than failing a turn.
# SQLAlchemy's own pre-ping checks every checkout with three round trips (BEGIN, a no-op,
# ROLLBACK), about 0.5 ms of every turn; a connection put back a moment ago was working then.
PING_AFTER_IDLE_S = 2.0
# The pool hands out the connection put back last (LIFO): a few stay busy and warm (their
# prepared statements cached, never idle long enough to need the check above) while the
# others sit unused, rather than every connection taking turns and each going cold.
_IDLE_SINCE = "idle_since"


def create_engine(
    url: str,
    *,
    pool_size: int = POOL_SIZE,
    pool_overflow: int = POOL_OVERFLOW,
    ping_after_idle: float = PING_AFTER_IDLE_S,
) -> AsyncEngine:
    """An async engine; for SQLite, make the folder and turn on WAL and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(
            url, pool_size=pool_size, max_overflow=pool_overflow, pool_use_lifo=True
        )
        event.listen(engine.sync_engine, "checkin", _note_idle)
        event.listen(engine.sync_engine, "checkout", _pinging_if_idle(ping_after_idle))
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # One connection: turns queue for it in-process instead of sleeping in SQLite's busy-wait
    # back-off, which made the latency tail ten times longer with a few users at once. Its
    # statements run on the event loop's thread (storage.sqlite_driver); `timeout` is how long
    # one waits, on a worker thread, for another process's write lock.
    engine = create_async_engine(
        url,
        module=sqlite_driver.DBAPI,
        connect_args={"timeout": 30},
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
    )
    event.listen(engine.sync_engine, "connect", _sqlite_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _note_idle(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _pinging_if_idle(after: float) -> Callable[[Any, ConnectionPoolEntry, Any], None]:
    def ping_if_idle(_dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < after:
            return  # new, or put back a moment ago
        try:
            # One round trip, outside any transaction (a checkout runs in SQLAlchemy's greenlet).
            await_(record.driver_connection.fetchrow(";"))  # type: ignore[union-attr]
        except Exception as error:
            # The documented way to have the pool discard it and hand out a new connection.
            raise DisconnectionError("connection lost while it sat in the pool") from error

    return ping_if_idle


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: every turn writes, and a deferred transaction
    # that must upgrade its lock can fail at once instead of waiting.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_connect(connection: Any, _record: Any) -> None:
    # The driver's own transaction handling commits at a SAVEPOINT's release, which would let
    # part of a failed turn survive; SQLAlchemy's documented fix is to issue BEGIN ourselves.
    connection.isolation_level = None
    # WAL lets readers (other processes, backups) carry on while a turn writes.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def table_of(model: Any) -> Table:
    """A mapped class's Core table, for the statements every turn runs, built once at import:
    no ORM load or flush, and SQLAlchemy keys its compiled cache once rather than per call."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
