"""What the benchmarks share: percentiles and resetting a PostgreSQL schema."""

from __future__ import annotations

import math

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


async def reset_schema(url: str) -> None:
    """Drop and recreate the public schema, as tests/support/databases.py reset_postgres does."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
