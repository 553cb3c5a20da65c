"""A trust's deployment on PostgreSQL has one scheduler leader for all its schools: one
connection held for the leader's advisory lock, whatever the number of schools. With a leader
per school, fifty schools held fifty of the process's pooled connections for good, and its turns
and jobs waited for one (bench/trust_processes.py's scheduler was never ready)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot.app import build_bot, prepare_storage
from bot.server import RELOADER, create_app
from bot.settings import Settings
from tests.support.clock import FakeClock
from tests.web.test_trust_deployment import write_trust


async def test_every_school_s_jobs_run_under_one_leader_lock(
    postgres_only: str, tmp_path: Path, clock: FakeClock
) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=postgres_only,
        trust_config=write_trust(folder),
        leader_retry_seconds=0.2,
    )
    bot = build_bot(settings, clock=clock)
    await prepare_storage(bot)
    app = create_app(bot, run_scheduler=True)
    async with TestClient(TestServer(app)):
        running = app[RELOADER].running
        deadline = time.monotonic() + 60
        while not all(r.jobs is not None and r.jobs.running for r in running.running.values()):
            assert time.monotonic() < deadline, "the schools' jobs never started"
            await asyncio.sleep(0.05)
        async with bot.engine.connect() as connection:
            held = await connection.scalar(
                # This database's only: other tests' databases on the server hold their own.
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
                    "database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
        schools = len(running.running)
    await bot.engine.dispose()
    assert schools == 2
    assert held == 1  # one leader's lock for both schools, not one each
