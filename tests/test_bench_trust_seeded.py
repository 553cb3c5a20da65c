"""A seeded store kept for later runs of the trust's morning (bench/trust_seeded.py), on the
test PostgreSQL server: a run keeps its store as seeded, a later run of the same shape starts
from a copy of it (what the earlier morning changed is gone), and a run of another shape is
told, never given the wrong store."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.settings import PROJECT_ROOT


def _on(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def _admin(url: str, *statements: str) -> None:
    engine = create_async_engine(_on(url, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _rows(url: str, query: str) -> list[tuple[object, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(query))]
    finally:
        await engine.dispose()


async def _run(url: str, *statements: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
async def databases(
    postgres_only: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[str, str]]:
    """The run's database (made here, named for the bench) and a name for the kept store;
    both dropped afterwards. bench/ on the path, as when its scripts run."""
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "bench"))
    tag = uuid.uuid4().hex[:8]
    run, kept = f"bench_run_{tag}", f"bench_kept_{tag}"
    await _admin(postgres_only, f'CREATE DATABASE "{run}"')
    try:
        yield _on(postgres_only, run), kept
    finally:
        await _admin(
            postgres_only,
            f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)',
            f'DROP DATABASE IF EXISTS "{kept}" WITH (FORCE)',
        )


async def test_a_later_run_starts_from_the_store_as_it_was_seeded(
    databases: tuple[str, str],
) -> None:
    from trust_seeded import Seeded, Shape, copied, keep, settle

    run, name = databases
    shape = Shape(schools=2, staff=12, reports=30)
    assert await copied(run, name, shape) is None  # nothing kept yet: the run seeds

    await _run(run, "CREATE TABLE reports (n integer)", "INSERT INTO reports VALUES (1), (2)")
    await keep(run, name, shape, Seeded(key="the-key", filed=2))
    # The run goes on without the key's table; the kept store has the seeded rows.
    assert await _rows(run, "SELECT to_regclass('bench_seeded')::text") == [(None,)]
    kept = _on(run, name)
    assert await _rows(kept, "SELECT n FROM reports ORDER BY n") == [(1,), (2,)]

    await _run(run, "INSERT INTO reports VALUES (3)")  # what the morning adds
    again = await copied(run, name, shape)
    assert again == Seeded(key="the-key", filed=2)
    assert await _rows(run, "SELECT n FROM reports ORDER BY n") == [(1,), (2,)]
    assert await _rows(run, "SELECT to_regclass('bench_seeded')::text") == [(None,)]
    await settle(run)  # vacuumed and analysed before the morning: its statistics are there
    analysed = "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'reports'"
    assert await _rows(run, analysed) == [(True,)]
    # The kept store is unchanged for the next run.
    assert await _rows(kept, "SELECT count(*) FROM bench_seeded") == [(1,)]


async def test_a_run_of_another_shape_is_told_and_its_store_is_untouched(
    databases: tuple[str, str],
) -> None:
    from common import BenchFailure
    from trust_seeded import Seeded, Shape, copied, keep

    run, name = databases
    await _run(run, "CREATE TABLE reports (n integer)", "INSERT INTO reports VALUES (1)")
    await keep(run, name, Shape(2, 12, 30), Seeded(key="k", filed=1))
    await _run(run, "INSERT INTO reports VALUES (2)")
    with pytest.raises(BenchFailure, match=f"{name} was seeded for .*reports=30.*dropdb {name}"):
        await copied(run, name, Shape(2, 12, 200_000))
    assert await _rows(run, "SELECT n FROM reports ORDER BY n") == [(1,), (2,)]


def test_a_name_that_is_not_plainly_the_benchs_is_refused() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "bench/trust_processes.py",
            "--database-url",
            "postgresql+asyncpg://postgres@127.0.0.1/bench",
            "--seeded-copy",
            "school_records",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert '--seeded-copy: lower-case letters, digits and "_" only, with "bench" in it' in (
        result.stderr
    )
