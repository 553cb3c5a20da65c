"""Scheduler leader election on PostgreSQL, one process on SQLite, and the process roles."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.settings import PROJECT_ROOT, Settings
from scheduler.leader import Leadership
from tests.support.net import free_port
from tests.support.warm import run_bot

RETRY = 0.2


class Seat:
    """Records what a Leadership asked of the jobs."""

    def __init__(self) -> None:
        self.events: list[str] = []

    async def lead(self) -> None:
        self.events.append("lead")

    async def follow(self) -> None:
        self.events.append("follow")

    @property
    def leading(self) -> bool:
        return bool(self.events) and self.events[-1] == "lead"


@pytest.fixture
async def postgres(postgres_only: str) -> AsyncIterator[list[AsyncEngine]]:
    """Engines on the test database, one per simulated process (each has its own pool)."""
    engines: list[AsyncEngine] = []
    yield engines
    for engine in engines:
        await engine.dispose()


def _candidate(engines: list[AsyncEngine], url: str, seat: Seat, key: int) -> Leadership:
    engine = create_async_engine(url)
    engines.append(engine)
    return Leadership(
        engine, on_lead=seat.lead, on_follow=seat.follow, retry_seconds=RETRY, key=key
    )


class Tries:
    """Counts a candidate's attempts to lead (each `pg_try_advisory_lock` of its campaign), so
    that a test waits for "it has tried several times", not for a fixed time."""

    def __init__(self, candidate: Leadership) -> None:
        self.count = 0
        attempt = candidate._try_to_lead

        async def counted() -> None:
            try:
                await attempt()
            finally:
                self.count += 1

        candidate._try_to_lead = counted  # type: ignore[method-assign]

    async def more(self, n: int, within: float = 10.0) -> None:
        """Until it has tried `n` more times from now."""
        goal = self.count + n
        try:
            await _until(lambda: self.count >= goal, within)
        except AssertionError:
            raise AssertionError(f"{n} more attempts to lead not made within {within} s") from None


async def _until(condition: object, within: float = 60.0) -> float:
    """Until `condition` holds: an event, however long a loaded machine takes (the bound only
    ends a test that would otherwise hang)."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if callable(condition) and condition():
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_one_leads_and_the_other_takes_over_when_it_stops(
    postgres: list[AsyncEngine], postgres_only: str
) -> None:
    key = 0x7E57_0001  # a key of this test's own: other tests' schedulers do not interfere
    first, second = Seat(), Seat()
    a = _candidate(postgres, postgres_only, first, key)
    b = _candidate(postgres, postgres_only, second, key)
    a.start()
    await _until(lambda: first.leading)
    b_tries = Tries(b)
    b.start()
    await b_tries.more(3)  # b has tried several times by now
    assert first.events == ["lead"] and second.events == []
    assert a.leading and not b.leading

    await a.stop()
    free_at = b_tries.count  # the lock is free from here
    await _until(lambda: second.leading)
    assert first.events == ["lead", "follow"]
    # b leads at its first attempt after the lock came free (one retry interval), counted in
    # attempts rather than seconds: the one under way as a stopped, if it failed, then the next.
    assert b_tries.count - free_at <= 2
    await b.stop()
    assert second.events == ["lead", "follow"]


async def test_a_leader_whose_connection_is_cut_steps_down_and_another_leads(
    postgres: list[AsyncEngine], postgres_only: str
) -> None:
    key = 0x7E57_0002
    first, second = Seat(), Seat()
    a = _candidate(postgres, postgres_only, first, key)
    b = _candidate(postgres, postgres_only, second, key)
    a_tries = Tries(a)
    a.start()
    await _until(lambda: first.leading)
    b.start()
    # The database ends the leader's session, as when its machine drops off the network.
    async with postgres[1].connect() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND objid = :low AND granted AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"low": key & 0xFFFFFFFF},
        )
    await _until(lambda: second.leading)
    await _until(lambda: first.events[-1:] == ["follow"])
    # Never two at once: a leads again only after b has given up.
    await a_tries.more(3)  # a, following, has tried again several times
    assert not (first.leading and second.leading)
    await a.stop()
    await b.stop()


async def test_on_sqlite_the_one_process_leads_at_once(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    seat = Seat()
    leadership = Leadership(engine, on_lead=seat.lead, on_follow=seat.follow, retry_seconds=RETRY)
    try:
        leadership.start()
        await _until(lambda: seat.leading)
        await leadership.stop()
        assert seat.events == ["lead", "follow"]
    finally:
        await engine.dispose()


# --------------------------------------------------------------- processes, on SQLite


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": "", **extra}


def _bot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_bot(*args, env=env, timeout=60)


def test_a_second_process_on_the_same_sqlite_database_says_so_and_stops(tmp_path: Path) -> None:
    port = free_port()
    env = _env(tmp_path)
    first = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                    break
            except OSError:
                assert first.poll() is None, "the first bot exited"
                assert time.monotonic() < deadline, "the first bot never became ready"
                time.sleep(0.2)
        second = _bot("run", "--port", str(free_port()), env=env)
        assert second.returncode == 2
        assert "Another bot process is already using the SQLite database" in second.stderr
        assert "PostgreSQL" in second.stderr and "Traceback" not in second.stderr
        # Restoring under a running bot would pull the database from under it: refused too.
        restore = _bot("restore", str(tmp_path / "backup.db"), env=env)
        assert restore.returncode == 2 and "cannot restore" in restore.stderr
    finally:
        first.terminate()
        first.wait(timeout=15)
    # Once the first has stopped, the lock is gone with it.
    assert _bot("check", env=env).returncode == 0


@pytest.mark.parametrize("role", ["web", "scheduler"])
def test_separate_roles_are_refused_on_sqlite_with_the_way_out(tmp_path: Path, role: str) -> None:
    result = _bot("run", "--role", role, env=_env(tmp_path))
    assert result.returncode == 2
    assert f"ROLE={role}" in result.stderr and "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_roles_are_read_from_the_environment_too() -> None:
    assert (
        Settings(role="scheduler", database_url="postgresql+asyncpg://h/db").role_problem() is None
    )
    assert Settings(role="all").role_problem() is None
    assert "SQLite" in (Settings(role="web").role_problem() or "")
