"""The trust's daily seal of every school's event-log head (bot.record.trust_seal): made once a
day, chained, and what names a school whose log was rewritten with every hash made again, a
rewrite the school's own chain cannot show, while the other schools still verify."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import Bot
from bot.record.event_chain import hash_of
from bot.record.log_check import verify_log
from bot.record.scheduled import seal_the_day
from bot.record.trust_seal import seal_today, verify_seals
from storage.models import Event, EventChain, TrustSeal
from storage.scope import trust_sessions
from tests.security.test_record_tamper import verify_log_command
from tests.support.alerts import file_concern
from tests.support.clock import FakeClock
from tests.test_school_scope import SECOND, add_school


async def two_schools_with_reports(make_bot: Any, url: str | None = None) -> tuple[Bot, Bot]:
    extra = {} if url is None else {"database_url": url}
    first = await make_bot(**extra)
    await add_school(first.engine)
    second = await make_bot(school_id=SECOND, **extra)
    await file_concern(first)
    await file_concern(second)
    return first, second


async def rewrite_log(engine: AsyncEngine, school_id: int, seq: int) -> None:
    """Change entry `seq` of a school's log and make every hash from it on again, head too:
    what someone who can write to the database and knows the format could do."""
    async with trust_sessions(engine)() as session, session.begin():
        entries = list(
            await session.scalars(
                select(Event).where(Event.school_id == school_id).order_by(Event.seq)
            )
        )
        prev = entries[seq - 2].hash if seq > 1 else "0" * 64
        for entry in entries[seq - 1 :]:
            if entry.seq == seq:
                entry.actor_email = "someone@else.example"
            entry.prev_hash = prev
            entry.hash = prev = hash_of(entry)
        await session.execute(
            update(EventChain).where(EventChain.school_id == school_id).values(hash=prev)
        )


async def test_a_day_is_sealed_once_and_each_seal_is_chained_to_the_one_before(
    make_bot: Any, clock: FakeClock
) -> None:
    first, _second = await two_schools_with_reports(make_bot)
    assert await seal_the_day(first.jobs)
    assert not await seal_the_day(first.jobs)  # a second run that day, or a second scheduler
    clock.advance(days=1)
    assert await seal_the_day(first.jobs)
    async with trust_sessions(first.engine)() as session:
        seals = list(await session.scalars(select(TrustSeal).order_by(TrustSeal.seq)))
        heads = list(await session.execute(select(EventChain.school_id, EventChain.seq)))
    assert [s.seq for s in seals] == [1, 2]
    assert seals[1].prev_hash == seals[0].hash and seals[1].day == seals[0].day + timedelta(1)
    assert [[h[0], h[1], h[2]] for h in seals[1].heads] == [
        [1, "default", dict(heads)[1]],
        [SECOND, "second", dict(heads)[SECOND]],
    ]


async def test_a_rewritten_log_is_named_by_the_seal_and_the_other_school_still_verifies(
    make_bot: Any, clock: FakeClock
) -> None:
    first, second = await two_schools_with_reports(make_bot)
    async with trust_sessions(first.engine)() as session, session.begin():
        assert await seal_today(session, now=clock()) is not None
    async with trust_sessions(first.engine)() as session:
        assert (await verify_seals(session)).ok

    await rewrite_log(first.engine, 1, seq=2)
    async with first.router.sessions() as session:
        assert (await verify_log(session)).ok  # its own chain cannot show it: every hash redone
    async with trust_sessions(first.engine)() as session:
        check = await verify_seals(session)
        mine = await verify_seals(session, school="second")
    assert not check.ok and set(check.schools) == {"default"}
    assert "it was rewritten" in check.schools["default"]
    assert mine.ok  # the second school still verifies
    async with second.router.sessions() as session:
        assert (await verify_log(session)).ok


async def test_an_altered_seal_is_named(make_bot: Any, clock: FakeClock) -> None:
    first, _second = await two_schools_with_reports(make_bot)
    assert await seal_the_day(first.jobs)
    async with first.engine.begin() as connection:
        await connection.execute(update(TrustSeal).values(prev_hash="f" * 64))
    async with trust_sessions(first.engine)() as session:
        check = await verify_seals(session)
    assert check.broken is not None and "was altered" in check.broken


async def test_verify_log_reports_the_seal_and_names_a_rewritten_school(
    make_bot: Any, database_url: str
) -> None:
    url = "" if database_url.startswith("sqlite") else database_url  # "": DATA_DIR's SQLite
    first, _second = await two_schools_with_reports(make_bot, url)
    assert await seal_the_day(first.jobs)
    status, out, err = await verify_log_command(first, url)
    assert status == 0, err
    assert "Trust seal: OK: the seal is intact, and every school's log matches the last" in out

    await rewrite_log(first.engine, 1, seq=2)
    status, out, err = await verify_log_command(first, url)
    assert status == 1
    assert "School default: OK" in out  # its own chain, every hash redone
    assert "School default: BROKEN against the trust's seal: entry" in err
    assert "School second: BROKEN" not in err
    status, out, err = await verify_log_command(first, url, "--school", "second")
    assert status == 0, err
    assert "school second's log matches the last" in out
