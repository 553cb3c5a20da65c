"""A trust's deployment on PostgreSQL has one scheduler leader for all its schools: one
connection held for the leader's advisory lock, whatever the number of schools. With a leader
per school, fifty schools held fifty of the process's pooled connections for good, and its turns
and jobs waited for one (bench/trust_processes.py's scheduler was never ready)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from bot.settings import Settings
from tests.support.clock import FakeClock
from tests.support.trust import trust_jobs_running
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
    async with trust_jobs_running(settings, clock) as (bot, running):
        async with bot.engine.connect() as connection:
            held = await connection.scalar(
                # This database's only: other tests' databases on the server hold their own.
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
                    "database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
        schools = len(running.running)
    assert schools == 2
    assert held == 1  # one leader's lock for both schools, not one each
