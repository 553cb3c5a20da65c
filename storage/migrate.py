"""Applying and checking Alembic migrations from code (at start, in tests, for /readyz)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.locks import MIGRATIONS_LOCK, serialise

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> list[str]:
    """Every revision the migrations know, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to the newest schema (or to `revision`, to build an older one)."""
    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A SQLite table is rebuilt to change it (a key, a NOT NULL column): its foreign
            # keys are off meanwhile, or dropping the old table would count as deleting every
            # row others refer to. It can only be set outside a transaction; a revision that
            # rebuilds checks the keys itself before it ends (PRAGMA foreign_key_check).
            await connection.run_sync(_sqlite_foreign_keys, "OFF")
        try:
            async with connection.begin():
                # Replicas starting together on PostgreSQL would race to create the same
                # tables: the first upgrades, the others wait here and then find it current.
                await serialise(connection, MIGRATIONS_LOCK)
                await connection.run_sync(_upgrade, revision)
        finally:
            if sqlite:
                await connection.run_sync(_sqlite_foreign_keys, "ON")


def _sqlite_foreign_keys(connection: Connection, setting: str) -> None:
    # On the driver's connection itself: through SQLAlchemy it would first begin a transaction.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={setting}")
    finally:
        cursor.close()


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def is_current(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == head_revision()
