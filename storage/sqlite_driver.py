"""SQLite called from the event loop's own thread, under SQLAlchemy's aiosqlite dialect.

aiosqlite runs every call on a thread of its own and hands each result back through the event
loop: four hand-offs per statement (open a cursor, execute, fetch, close), each one waking two
threads and passing the GIL. Measured on this project's 2-core machine: 369 µs of wall time
(297 µs of CPU) per indexed SELECT through aiosqlite, 28 µs through sqlite3 itself; on SQLite
the hand-offs were more than half of a turn. A statement of this bot's takes microseconds, and
the one connection (`storage.db`) serves one transaction at a time whichever thread runs it, so
nothing was gained by running it elsewhere.

The wait that can be long is for another process's write lock (SQLITE_BUSY: a `python -m bot`
command writing while the bot runs), and the event loop must never sleep in it: every other
conversation would stop. So calls are made with SQLite's own busy wait off, and one that finds
the database locked is made again on a worker thread, which waits for the lock as sqlite3
would (the connection's `timeout`, default 5 s) while the loop carries on.

Everything else is sqlite3's: the same library, file, pragmas and transactions (`storage.db`
issues BEGIN IMMEDIATE itself), so durability is unchanged.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
_DEFAULT_WAIT_S = 5.0  # sqlite3.connect's own default timeout
# The threads that wait for another process's write lock (rarely more than one at a time).
_WAITERS = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="sqlite-wait")


def _is_busy(error: sqlite3.OperationalError) -> bool:
    # The primary code: SQLITE_BUSY and its extended forms (BUSY_RECOVERY, BUSY_SNAPSHOT...).
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY


class Connection:
    """The part of `aiosqlite.Connection` that SQLAlchemy's adapter uses, called inline."""

    def __init__(self, connection: sqlite3.Connection, *, wait_s: float) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._wait_ms = max(0, int(wait_s * 1000))
        # The call a worker thread is making, if any. It goes on when the task that asked for
        # it is cancelled (a thread cannot be stopped), so nothing else touches the connection
        # until it ends: a rollback beside it would leave the BEGIN it makes later open, and a
        # close would free the connection under it.
        self._in_thread: concurrent.futures.Future[Any] | None = None

    @property
    def _connection(self) -> sqlite3.Connection | None:
        # SQLAlchemy's adapter looks at this (aiosqlite's name) before a commit or rollback.
        return self._conn

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._live().isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._live().isolation_level = value

    def cursor(self) -> Cursor:
        return Cursor(self, self._live().cursor())

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` now; if the database is locked, again on a thread that waits."""
        await self._settled()
        try:
            return function(*args)
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or self._wait_ms == 0:
                raise
        log.debug("database locked by another connection: waiting for it on a worker thread")
        self._in_thread = _WAITERS.submit(self._waiting, function, *args)
        return await asyncio.shield(asyncio.wrap_future(self._in_thread))

    async def _settled(self) -> None:
        """Wait for the worker thread's call, if one is still running (its outcome belonged to
        a task that was cancelled: nothing here needs it)."""
        running = self._in_thread
        if running is not None and not running.done():
            await asyncio.wait([asyncio.wrap_future(running)])

    def _waiting(self, function: Callable[..., T], *args: Any) -> T:
        connection = self._live()
        connection.execute(f"PRAGMA busy_timeout={self._wait_ms}")
        try:
            return function(*args)
        finally:
            connection.execute("PRAGMA busy_timeout=0")

    async def commit(self) -> None:
        await self.call(self._live().commit)  # `call` waits for a worker thread's call first

    async def rollback(self) -> None:
        await self._settled()
        self._live().rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        await self._settled()
        self._live().create_function(*args, **kwargs)

    async def close(self) -> None:
        await self._settled()
        self.stop()

    def stop(self) -> None:
        """Close now, or as soon as a worker thread's call ends (SQLAlchemy's forced close,
        also from garbage collection: it cannot wait)."""
        connection, self._conn = self._conn, None
        if connection is None:
            return
        running = self._in_thread
        if running is not None and not running.done():
            running.add_done_callback(lambda _done: connection.close())
        else:
            connection.close()


class Cursor:
    """The part of `aiosqlite.Cursor` that SQLAlchemy's adapter uses, called inline."""

    def __init__(self, owner: Connection, cursor: sqlite3.Cursor) -> None:
        self._owner = owner
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Cursor:
        if parameters is None:
            await self._owner.call(self._cursor.execute, sql)
        else:
            await self._owner.call(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Cursor:
        # A list, so that a second try after a locked database sees every row again.
        await self._owner.call(self._cursor.executemany, sql, list(parameters))
        return self

    async def fetchone(self) -> Any:
        await self._owner._settled()
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        await self._owner._settled()
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        await self._owner._settled()
        return self._cursor.fetchall()

    async def close(self) -> None:
        await self._owner._settled()
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _AdaptedConnection(AsyncAdapt_aiosqlite_connection):
    # aiosqlite's adapter sets the isolation level through aiosqlite's private queue.
    __slots__ = ()

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level  # type: ignore[no-any-return]

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._connection.isolation_level = value


class InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite dialect's DBAPI, connecting with `Connection` rather than aiosqlite's
    thread: pass as `module=` to `create_async_engine` with a `sqlite+aiosqlite://` URL."""

    def connect(self, *args: Any, **kwargs: Any) -> AsyncAdapt_aiosqlite_connection:
        wait_s = float(kwargs.pop("timeout", _DEFAULT_WAIT_S))
        # Used by one task at a time, and by a worker thread only while that task waits for it.
        kwargs["check_same_thread"] = False
        connect: Callable[..., sqlite3.Connection] = sqlite3.connect
        connection = connect(*args, timeout=0, **kwargs)
        return _AdaptedConnection(self, Connection(connection, wait_s=wait_s))  # type: ignore[arg-type]


DBAPI = InlineDBAPI(aiosqlite, sqlite3)
