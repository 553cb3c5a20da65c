"""The two databases every storage-touching test runs on: SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG


def postgres_required() -> bool:
    return os.environ.get("REQUIRE_POSTGRES", "") not in {"", "0", "false"}


def postgres_reachable() -> bool:
    url = make_url(postgres_url())
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            return True
    except OSError:
        return False


async def reset_postgres(url: str) -> None:
    """An empty public schema, so each test starts from nothing and migrates from scratch."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
