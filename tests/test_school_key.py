"""SCHOOL_KEY: a deployment serves the school of the database with that key, its row made at the
first start; several schools' deployments may share one PostgreSQL database, each seeing its
own records, each with its own scheduler leader (one school's escalations never wait for
another's leader)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.app import SchoolNotFound, attach_school, build_bot
from bot.server import create_app
from bot.settings import Settings
from scheduler.leader import Leadership
from storage.locks import SCHEDULER_LOCK, scheduler_lock
from storage.models import Report, School
from storage.scope import Unscoped, trust_sessions
from tests.conftest import EXAMPLE_CONFIG
from tests.support.alerts import DSL, file_concern
from tests.support.harness import Chat
from tests.support.warm import run_bot
from tests.test_leader import RETRY, Seat, _until
from tests.test_metrics import scrape, total


async def schools_of(engine: AsyncEngine) -> list[tuple[int, str]]:
    async with trust_sessions(engine)() as session:
        return [tuple(r) for r in await session.execute(select(School.id, School.key))]  # type: ignore[misc]


async def test_a_new_schools_deployment_adds_its_school_and_keeps_to_it(make_bot: Any) -> None:
    first = await make_bot()
    oakfield = await make_bot(school_key="oakfield")  # the same database
    assert sorted(await schools_of(first.engine)) == [(1, "default"), (2, "oakfield")]
    again = await make_bot(school_key="oakfield")  # a restart, or a second replica
    assert sorted(await schools_of(first.engine)) == [(1, "default"), (2, "oakfield")]

    await file_concern(oakfield)
    async with again.router.sessions() as session:
        [report] = await session.scalars(select(Report))
    assert report.school_id == 2
    async with first.router.sessions() as session:
        assert list(await session.scalars(select(Report))) == []
    assert str(report.reference) not in " ".join(map(str, await Chat(first, DSL).send("cases")))
    assert str(report.reference) in " ".join(map(str, await Chat(again, DSL).send("cases")))


async def test_before_its_school_is_found_a_bot_refuses_every_schools_record(
    database_url: str, tmp_path: Any
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        school_config=EXAMPLE_CONFIG,
        school_key="elmwood",
    )
    bot = build_bot(settings)
    try:
        async with bot.router.sessions() as session:
            with pytest.raises(Unscoped):
                await session.scalars(select(Report))
        with pytest.raises(SchoolNotFound, match="no school 'elmwood'"):
            await attach_school(bot, create=False)  # a report command never adds a school
        assert await attach_school(bot, create=True) == 2
        async with bot.router.sessions() as session:
            assert list(await session.scalars(select(Report))) == []
    finally:
        await bot.engine.dispose()


def test_a_bad_school_key_is_refused(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="school_key"):
        Settings(data_dir=tmp_path, school_key="Oak Field")


async def test_each_school_has_its_own_scheduler_leader(postgres_only: str) -> None:
    """Two schools' schedulers on one database both lead at once: one leader for all would
    leave the other school's escalations unsent."""
    assert scheduler_lock(1) == SCHEDULER_LOCK  # as every release before schools
    assert len({scheduler_lock(n) for n in range(1, 60)}) == 59
    engines = [create_async_engine(postgres_only) for _ in range(2)]
    seats = [Seat(), Seat()]
    candidates = [
        Leadership(e, on_lead=s.lead, on_follow=s.follow, retry_seconds=RETRY, key=k)
        for e, s, k in zip(
            engines, seats, (scheduler_lock(7001), scheduler_lock(7002)), strict=True
        )
    ]
    try:
        for candidate in candidates:
            candidate.start()
        await _until(lambda: all(seat.leading for seat in seats))
    finally:
        for candidate in candidates:
            await candidate.stop()
        for engine in engines:
            await engine.dispose()


async def test_a_report_command_names_a_school_the_database_does_not_have(
    make_bot: Any, database_url: str
) -> None:
    url = "" if database_url.startswith("sqlite") else database_url  # "": DATA_DIR's SQLite
    bot = await make_bot(database_url=url)
    await bot.engine.dispose()
    env = {
        **os.environ,
        "DATA_DIR": str(bot.settings.data_dir),
        "DATABASE_URL": url,
        "ENCRYPTION_KEY": "",
        "SCHOOL_KEY": "elmwood",
    }
    done = await asyncio.to_thread(run_bot, "summary", env=env, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Nothing to report: the database has no school 'elmwood' (SCHOOL_KEY) yet" in done.stderr


@pytest.mark.one_database
async def test_two_schools_deployments_on_one_database_both_run_their_scheduled_jobs(
    make_bot: Any, postgres_only: str
) -> None:
    """As the server starts them: each school's scheduler leads its own jobs (with one lock
    for every school, one would wait for ever and its escalations never be sent)."""
    schools = [
        await make_bot(database_url=postgres_only, role="scheduler"),
        await make_bot(database_url=postgres_only, role="scheduler", school_key="oakfield"),
    ]
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(TestClient(TestServer(create_app(bot))))
            for bot in schools
        ]
        leading = [0.0, 0.0]

        async def both_lead() -> bool:
            for n, client in enumerate(clients):
                leading[n] = total(await scrape(client), "osbot_scheduler_leader")
            return leading == [1.0, 1.0]

        deadline = asyncio.get_running_loop().time() + 20
        while not await both_lead():
            assert asyncio.get_running_loop().time() < deadline, f"leading: {leading}"
            await asyncio.sleep(0.05)
