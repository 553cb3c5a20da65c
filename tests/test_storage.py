"""Storage on both databases: migrations, transactions, the event log and people."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.chat.conversations import first_delivery
from bot.school.people import sync_people
from storage.db import create_engine
from storage.migrate import current_revision, head_revision, is_current
from storage.models import Base, Event, Person


class _Boom(Exception):
    pass


@pytest.mark.unmigrated
async def test_migrations_bring_a_new_database_to_the_head(make_bot):
    bot = await make_bot()
    assert await current_revision(bot.engine) == head_revision()
    assert await is_current(bot.engine)


@pytest.mark.unmigrated
async def test_the_migrations_match_the_models(make_bot):
    bot = await make_bot()

    def differences(connection):
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with bot.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_a_failed_turn_leaves_nothing_behind(make_bot):
    bot = await make_bot()
    now = bot.router.clock()

    async def failing_turn() -> None:
        async with bot.router.sessions() as session, session.begin():
            assert await first_delivery(session, channel="t", message_id="m1", now=now)
            raise _Boom

    with pytest.raises(_Boom):
        await failing_turn()
    async with bot.router.sessions() as session, session.begin():
        # Had the savepoint committed on its own, this retry would be taken for a duplicate.
        assert await first_delivery(session, channel="t", message_id="m1", now=now)
    async with bot.router.sessions() as session, session.begin():
        assert not await first_delivery(session, channel="t", message_id="m1", now=now)


async def test_people_follow_the_configuration_and_role_changes_are_recorded(make_bot, clock):
    bot = await make_bot()
    async with bot.router.sessions() as session:
        people = {p.email: p for p in await session.scalars(select(Person))}
    assert len(people) == len(bot.school.people)
    assert people["a.hartley@example.org"].roles == ["dsl", "staff"]

    school = bot.school.model_copy(
        update={"people": tuple(p for p in bot.school.people if p.email != "o.quaye@example.org")}
    )
    dsl = school.person("d.osei@example.org")
    assert dsl is not None
    promoted = dsl.model_copy(update={"roles": (*dsl.roles, "headteacher")})
    school = school.model_copy(
        update={"people": tuple(promoted if p is dsl else p for p in school.people)}
    )
    async with bot.router.sessions() as session, session.begin():
        assert await sync_people(session, school=school, now=clock()) == 2
    async with bot.router.sessions() as session:
        people = {p.email: p for p in await session.scalars(select(Person))}
        events = list(await session.scalars(select(Event)))
    assert people["o.quaye@example.org"].active is False  # kept, not deleted
    assert "headteacher" in people["d.osei@example.org"].roles
    assert [e.kind for e in events] == ["roles_changed"]
    assert events[0].detail["email"] == "d.osei@example.org"


async def test_the_postgresql_pool_is_the_size_the_settings_give(make_bot, database_url):
    """At 50 people at once the default pool (5 + 10) ran out: turns waited for a connection."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite keeps one connection whatever the settings")
    bot = await make_bot(database_pool_size=7, database_pool_overflow=3)
    pool = bot.engine.sync_engine.pool
    assert (pool.size(), pool._max_overflow) == (7, 3)  # type: ignore[attr-defined]
    default = await make_bot()
    assert default.engine.sync_engine.pool.size() == 10


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _pool_whose_connection_was_lost(
    url: str, *, ping_after_idle: float
) -> tuple[AsyncEngine, int]:
    """An engine of one pooled connection, and that connection's server process, ended by
    another connection as a restart would end it, while it sat in the pool."""
    engine = create_engine(url, pool_size=1, pool_overflow=0, ping_after_idle=ping_after_idle)
    killer = create_engine(url, pool_size=1, pool_overflow=0)
    try:
        lost = await _backend_pid(engine)
        async with killer.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})
    finally:
        await killer.dispose()
    return engine, lost


async def test_a_postgresql_connection_lost_in_the_pool_is_replaced_not_used(postgres_only):
    # SQLAlchemy's pre-ping (three round trips at every checkout) is replaced by one round trip
    # for a connection that sat unused (storage/db.py): this one sat "long enough" at once.
    engine, lost = await _pool_whose_connection_was_lost(postgres_only, ping_after_idle=0)
    try:
        assert await _backend_pid(engine) != lost  # a new connection, and no error
    finally:
        await engine.dispose()


async def test_a_postgresql_connection_put_back_a_moment_ago_is_handed_out_unchecked(
    postgres_only,
):
    engine, lost = await _pool_whose_connection_was_lost(postgres_only, ping_after_idle=3600)
    try:
        # Not checked: the turn that gets it fails (and is answered so: nothing of it is kept),
        # and the pool starts again with new connections.
        with pytest.raises(DBAPIError):
            await _backend_pid(engine)
        assert await _backend_pid(engine) != lost
    finally:
        await engine.dispose()
