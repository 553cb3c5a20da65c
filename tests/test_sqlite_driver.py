"""The SQLite driver (storage/sqlite_driver.py): statements on the event loop's thread, and a
database locked by another process waited for on a worker thread, never on the loop."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from storage import sqlite_driver
from storage.db import create_engine


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "driver.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE marks (id INTEGER PRIMARY KEY, said TEXT)")
    return path


async def test_statements_run_on_the_event_loops_thread(database):
    # Through aiosqlite each call went to a thread of its own and back: four hand-offs a
    # statement, more than half of a turn's time on SQLite.
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    ran_on: list[int] = []
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            raw.driver_connection._connection.create_function(
                "where_am_i", 0, lambda: ran_on.append(threading.get_ident()) or 1
            )
            assert (await connection.execute(text("SELECT where_am_i()"))).scalar() == 1
    finally:
        await engine.dispose()
    assert ran_on == [threading.get_ident()]


async def test_a_transaction_and_its_rollback_are_sqlites_own(database):
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO marks (said) VALUES ('kept')"))
        with pytest.raises(RuntimeError):
            await _write_then_fail(engine)
        said = await _marks(engine)
    finally:
        await engine.dispose()
    assert said == ["kept"]


async def _marks(engine) -> list[str]:
    """What the table holds now, read through the engine."""
    async with engine.connect() as connection:
        return list((await connection.execute(text("SELECT said FROM marks"))).scalars().all())


async def _write_then_fail(engine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO marks (said) VALUES ('undone')"))
        raise RuntimeError("the turn failed")


async def test_a_database_locked_elsewhere_is_waited_for_off_the_loop(database, caplog):
    caplog.set_level(logging.DEBUG, logger="storage.sqlite_driver")
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process writing: the write lock is taken
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    loop_ran = asyncio.Event()

    async def write() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO marks (said) VALUES ('after the wait')"))

    try:
        writing = asyncio.create_task(write())
        # Scheduled after the writer's first step: it runs only if the loop is free while the
        # writer waits for the lock (before, the loop slept in SQLite's busy wait).
        asyncio.get_running_loop().call_soon(loop_ran.set)
        await loop_ran.wait()
        assert not writing.done()
        other.execute("COMMIT")
        await writing
        said = await _marks(engine)
    finally:
        other.close()
        await engine.dispose()
    assert said == ["after the wait"]
    assert "waiting for it on a worker thread" in caplog.text


async def test_a_lock_held_past_the_timeout_says_the_database_is_locked(database):
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    # The driver under a short wait for this test (the bot's engine waits 30 s).
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{database}",
        module=sqlite_driver.DBAPI,
        connect_args={"timeout": 0.2},
    )
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO marks (said) VALUES ('never')"))
    finally:
        other.execute("ROLLBACK")
        other.close()
        await engine.dispose()


async def test_a_turn_cancelled_while_it_waits_for_the_lock_leaves_nothing_open(database):
    # The statement goes on in its worker thread after the turn is cancelled (a thread cannot
    # be stopped): what the turn does next (its rollback) must wait for it, not run beside
    # it, or the BEGIN that succeeds later leaves the one connection inside a transaction
    # holding the write lock, and every later turn fails.
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    waiting = asyncio.Event()

    async def write(said: str) -> None:
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO marks (said) VALUES (:said)"), {"said": said}
            )

    try:
        turn = asyncio.create_task(write("cancelled"))
        asyncio.get_running_loop().call_soon(waiting.set)
        await waiting.wait()  # the turn is in its worker thread, waiting for the lock
        turn.cancel()
        await asyncio.sleep(0)
        other.execute("COMMIT")  # the lock is free: the thread's BEGIN goes through now
        with pytest.raises(asyncio.CancelledError):
            await turn
        await write("next turn")
        said = await _marks(engine)
    finally:
        other.close()
        await engine.dispose()
    assert said == ["next turn"]
