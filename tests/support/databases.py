"""The two databases every storage-touching test runs on: SQLite and PostgreSQL.

Each test process gets its own PostgreSQL database (created from TEST_DATABASE_URL's server,
dropped at the end): two runs on one server, and the xdist workers of one run, never drop each
other's tables.
"""

from __future__ import annotations

import os
import secrets
import socket

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
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


async def create_private_database(base: str) -> str:
    """A new, empty database for this run; the base URL itself if we may not create one."""
    name = f"osb_test_{os.getpid()}_{secrets.token_hex(3)}"
    engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError:
        return base
    finally:
        await engine.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


async def drop_private_database(base: str, url: str) -> None:
    if url == base:
        return
    name = make_url(url).database
    engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


async def reset_postgres(url: str) -> None:
    """An empty public schema, so each test starts from nothing and migrates from scratch."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
