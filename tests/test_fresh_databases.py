"""Every test starts on a database as the migrations build a new one, whatever the test before
it left (tests/support/databases.py: a copy of a migrated SQLite file, or the process's
PostgreSQL database emptied of rows once its schema is checked)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import Bot
from storage.db import create_engine
from storage.migrate import current_revision, head_revision
from storage.models import Base, Event, Outbox, Person, Report
from tests.support.alerts import file_concern
from tests.support.databases import clear_postgres, migrated_postgres, schema_of


async def _rows(engine: AsyncEngine) -> dict[str, int]:
    """How many rows each of the models' tables holds, and the migration record's."""
    async with engine.connect() as connection:
        counts = {
            table.name: await connection.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }
        counts["alembic_version"] = await connection.scalar(
            text("SELECT count(*) FROM alembic_version")
        )
    return counts


async def _leave_rows_behind(bot: Bot) -> None:
    await file_concern(bot)
    async with bot.router.sessions() as session:
        for model in (Report, Event, Outbox, Person):
            assert await session.scalar(select(func.count()).select_from(model))


# Several of one test: on each process of the suite they run one after another, so each one
# but the first starts after one that filed a report and left it in the database.
@pytest.mark.parametrize("turn", range(4))
async def test_each_test_starts_with_no_rows_at_the_newest_schema(database_url, make_bot, turn):
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) == head_revision()
        rows = await _rows(engine)
    finally:
        await engine.dispose()
    assert rows.pop("alembic_version") == 1
    assert rows.pop("schools") == 1  # the first school, made by the migrations
    assert rows and set(rows.values()) == {0}, {t: n for t, n in rows.items() if n}

    await _leave_rows_behind(await make_bot())


async def test_clearing_postgres_takes_every_row_and_restarts_the_ids(postgres_only, make_bot):
    migrated = await migrated_postgres(postgres_only)
    bot = await make_bot(database_url=postgres_only)
    await _leave_rows_behind(bot)
    first_report = (await _ids(bot.engine))[0]

    assert await clear_postgres(postgres_only, migrated)
    rows = await _rows(bot.engine)
    assert rows.pop("alembic_version") == 1
    assert rows.pop("schools") == 1
    assert set(rows.values()) == {0}, {t: n for t, n in rows.items() if n}

    await _leave_rows_behind(await make_bot(database_url=postgres_only))
    assert (await _ids(bot.engine))[0] == first_report  # as in a new database


async def _ids(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        return list(await connection.scalars(select(Report.id).order_by(Report.id)))


@pytest.mark.parametrize(
    "change",
    [
        "ALTER TABLE reports ADD COLUMN left_behind integer",
        "ALTER TABLE reports ALTER COLUMN kind DROP NOT NULL",
        "CREATE INDEX left_behind ON events (kind)",
        "CREATE TABLE left_behind (id integer)",
        "DROP TABLE alembic_version",
        "UPDATE alembic_version SET version_num = '0001'",
    ],
)
async def test_a_changed_schema_is_not_cleared_but_migrated_again(postgres_only, change):
    migrated = await migrated_postgres(postgres_only)
    engine = create_engine(postgres_only)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(change))
        assert not await clear_postgres(postgres_only, migrated)
        assert await migrated_postgres(postgres_only) == migrated
        async with engine.connect() as connection:
            assert await schema_of(connection) == migrated
            assert await connection.scalar(text("SELECT to_regclass('left_behind')")) is None
    finally:
        await engine.dispose()
