"""The two databases every storage-touching test runs on: SQLite and PostgreSQL.

Each test process gets its own PostgreSQL database (created from TEST_DATABASE_URL's server,
dropped at the end): two runs on one server, and the xdist workers of one run, never drop each
other's tables.

A test starts on a database exactly as the migrations leave a new one, without migrating it
again (migrating from nothing took a fifth of the suite): each process migrates once, then
SQLite tests get a copy of that file and PostgreSQL tests get the process's database emptied
of rows, once its schema is checked to be still the one the migrations built (`clear_postgres`;
anything else, and it is dropped and migrated again).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from storage.db import create_engine
from storage.migrate import upgrade

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
    """An empty public schema: a database nobody has migrated yet."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def migrate(url: str) -> None:
    """Run the migrations on `url`, as the bot does at start, and close every connection."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def migrated_sqlite(path: Path) -> Path:
    """A SQLite file the migrations built, to copy for each test (`copy_sqlite`)."""
    await migrate(f"sqlite+aiosqlite:///{path}")
    # Closing the last connection checkpointed the write-ahead log into the file: no -wal or
    # -shm file is left, so the file alone is the whole database.
    assert not path.with_name(path.name + "-wal").exists()
    return path


def copy_sqlite(template: Path, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


# What the schema of the public schema is, in one text: every table's columns, every
# constraint, index, sequence, view, function and trigger, and the migration record. Equal
# texts, equal schemas (for everything the migrations make; they make nothing else).
_SCHEMA = text(
    """
    SELECT md5(concat_ws(E'\\n',
      (SELECT string_agg(concat_ws(' ', c.relname, c.relkind, a.attnum, a.attname,
                                   format_type(a.atttypid, a.atttypmod), a.attnotnull,
                                   pg_get_expr(d.adbin, d.adrelid), a.attidentity,
                                   a.attgenerated), E'\\n'
                         ORDER BY c.relname, a.attnum)
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum),
      (SELECT string_agg(concat_ws(' ', conrelid::regclass, conname,
                                   pg_get_constraintdef(oid)), E'\\n' ORDER BY conname)
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
      (SELECT string_agg(indexdef, E'\\n' ORDER BY indexname)
         FROM pg_indexes WHERE schemaname = 'public'),
      (SELECT string_agg(pg_get_triggerdef(t.oid), E'\\n' ORDER BY t.tgname)
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal),
      (SELECT string_agg(concat_ws(' ', sequencename, data_type, start_value, increment_by),
                         E'\\n' ORDER BY sequencename)
         FROM pg_sequences WHERE schemaname = 'public'),
      (SELECT string_agg(p.oid::regprocedure::text || md5(p.prosrc), E'\\n' ORDER BY 1)
         FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace),
      (SELECT string_agg(concat_ws(' ', t.typname, t.typtype), E'\\n' ORDER BY t.typname)
         FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace),
      (SELECT string_agg(version_num, ' ' ORDER BY version_num) FROM alembic_version)
    ))
    """
)


async def schema_of(connection: AsyncConnection) -> str | None:
    """The fingerprint of the public schema (None when there is no migration record)."""
    exists = await connection.scalar(text("SELECT to_regclass('public.alembic_version')"))
    if exists is None:
        return None
    return str(await connection.scalar(_SCHEMA))


async def migrated_postgres(url: str) -> str:
    """Empty `url`, migrate it from nothing, and return its schema's fingerprint."""
    await reset_postgres(url)
    await migrate(url)
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            schema = await schema_of(connection)
    finally:
        await engine.dispose()
    assert schema is not None
    return schema


async def clear_postgres(url: str, migrated: str) -> bool:
    """Bring `url` back to a newly migrated database: no rows in any table but the migration
    record, every sequence at its start. True when done; False (nothing changed) when its
    schema is no longer the `migrated` one, which only migrating again can restore."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            if await schema_of(connection) != migrated:
                return False
            # As a replica applies rows: no foreign-key checks, so the order of the tables
            # does not matter (every row of every one of them goes).
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            await connection.execute(_CLEAR)
        return True
    finally:
        await engine.dispose()


# The migrations make one row besides their record: the first school (0020_schools).
_CLEAR = text(
    """
    DO $$
    DECLARE name text;
    BEGIN
      FOR name IN SELECT quote_ident(tablename) FROM pg_tables
                   WHERE schemaname = 'public'
                     AND tablename NOT IN ('alembic_version', 'schools') LOOP
        EXECUTE 'DELETE FROM ' || name;
      END LOOP;
      DELETE FROM schools WHERE id <> 1;
      PERFORM setval(format('public.%I', sequencename), start_value, false)
         FROM pg_sequences WHERE schemaname = 'public' AND sequencename <> 'schools_id_seq';
      PERFORM setval('public.schools_id_seq', 1);
    END $$
    """
)
