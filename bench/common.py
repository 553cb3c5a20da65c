"""What the benchmarks share: percentiles, a connection to a database, resetting a PostgreSQL
schema, a bounded run."""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bot.server import event_loop


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@asynccontextmanager
async def connected(url: str, *, autocommit: bool = False) -> AsyncIterator[AsyncConnection]:
    """One connection to `url`, in a transaction committed at the end (or `autocommit`, for
    what cannot run in one: VACUUM, CREATE DATABASE); its engine is disposed of after."""
    options = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    engine = create_async_engine(url, **options)
    try:
        async with engine.connect() as connection:
            if autocommit:
                yield connection
            else:
                async with connection.begin():
                    yield connection
    finally:
        await engine.dispose()


async def reset_schema(url: str) -> None:
    """Drop and recreate the public schema, as tests/support/databases.py reset_postgres does."""
    async with connected(url, autocommit=True) as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))


T = TypeVar("T")


class BenchFailure(Exception):
    """The run did not go as scripted: no number it printed would mean much."""


def run_bounded(
    bench: Callable[[Path], Awaitable[T]], *, prefix: str, max_seconds: float
) -> T | None:
    """Run one benchmark in a temporary folder, within `max_seconds`; None (and a FAILED line on
    stderr) when it failed or ran out of time."""

    async def bounded(folder: Path) -> T:
        async with asyncio.timeout(max_seconds):
            return await bench(folder)

    # The loop `python -m bot run` serves on (uvloop where installed); BENCH_LOOP=asyncio runs
    # on asyncio's own, to compare the two.
    factory = asyncio.new_event_loop if os.environ.get("BENCH_LOOP") == "asyncio" else event_loop
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        try:
            with asyncio.Runner(loop_factory=factory) as runner:
                return runner.run(bounded(Path(folder)))
        except BenchFailure as failure:
            print(f"FAILED: {failure}", file=sys.stderr)
        except aiohttp.ClientError as error:
            print(f"FAILED: HTTP error: {error!r}", file=sys.stderr)
        except TimeoutError:
            print(f"FAILED: not finished within --max-seconds {max_seconds:g}", file=sys.stderr)
    return None


def loop_name() -> str:
    """The event loop the benchmark runs on, for its report."""
    if os.environ.get("BENCH_LOOP") == "asyncio":
        return "asyncio (BENCH_LOOP=asyncio)"
    loop = event_loop()
    try:
        return f"{type(loop).__module__.split('.')[0]} (as python -m bot run)"
    finally:
        loop.close()


def write_json(path: Path, figures: dict[str, object]) -> None:
    """A run's headline figures, for bench/suite.py (which reads them back)."""
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
