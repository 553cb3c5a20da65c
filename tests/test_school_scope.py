"""Two schools on one database: each sees, counts, exports and is alerted about its own records
only, each keeps its own event log, and a statement that forgets its school fails
(storage.scope, the one place that keeps every statement to a school)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import Bot
from bot.delivery.addresses import reachable_by_email, remember
from bot.record.events import open_event, record_event, seal_event
from bot.record.log_check import verify_log
from storage.crypto import Misplaced
from storage.db import session_factory, table_of
from storage.models import Event, Outbox, Person, Report, School
from storage.scope import (
    SCHOOL_BOUND,
    SCHOOL_PARAM,
    Unscoped,
    bound,
    school_sessions,
    trust_sessions,
)
from tests.alerts.test_export import serve
from tests.security.test_record_tamper import verify_log_command
from tests.support.alerts import DSL, file_concern
from tests.support.harness import Chat
from tests.support.notifiers import RecordingChannel

SECOND = 2
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
_REPORTS = table_of(Report)


async def add_school(engine: AsyncEngine) -> None:
    async with trust_sessions(engine)() as session, session.begin():
        session.add(School(id=SECOND, key="second", name="The second school", created_at=NOW))


async def two_schools(make_bot: Any) -> tuple[Bot, Bot, RecordingChannel, RecordingChannel]:
    """The example school twice over, as schools 1 and 2 of one database: the same people and
    the same DSL's address, so nothing but the school keeps their records apart."""
    first_alerts, second_alerts = RecordingChannel(), RecordingChannel()
    first = await make_bot(notifiers={"test": first_alerts})
    await add_school(first.engine)
    second = await make_bot(notifiers={"test": second_alerts}, school_id=SECOND)
    return first, second, first_alerts, second_alerts


async def reports_of(bot: Bot) -> list[Report]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(Report).order_by(Report.id)))


def shown(replies: list[Any]) -> str:
    return " ".join(str(r) for r in replies)


async def test_a_dsl_sees_counts_exports_and_is_alerted_about_their_own_school_only(
    make_bot: Any,
) -> None:
    first, second, first_alerts, second_alerts = await two_schools(make_bot)
    await file_concern(second)
    [theirs] = await reports_of(second)
    assert theirs.school_id == SECOND
    assert await reports_of(first) == []

    await first.dispatcher.deliver_due()
    await second.dispatcher.deliver_due()
    assert first_alerts.deliveries == []  # the first school's dispatcher has nothing to send
    assert DSL in {d.recipient_email for d in second_alerts.deliveries if d.kind == "alert"}

    dsl = Chat(first, DSL)
    assert str(theirs.reference) not in shown(await dsl.send("cases"))
    assert str(theirs.reference) not in shown(await dsl.click(f"case:ack:{theirs.id}"))
    async with first.router.sessions() as session:
        assert await first.router.cases.waiting_count(session, DSL) == 0
        assert await session.scalar(select(func.count()).select_from(Outbox)) == 0
        assert await session.get(Report, theirs.id) is None
    async with serve(first, DSL) as client:
        response = await client.get(f"/api/web/cases/{theirs.id}/chronology.csv")
        assert response.status == 404, await response.text()
    [still] = await reports_of(second)
    assert still.case_status == "open"  # the other school's DSL acknowledged nothing

    assert str(theirs.reference) in shown(await Chat(second, DSL).send("cases"))
    async with second.router.sessions() as session:
        assert await second.router.cases.waiting_count(session, DSL) == 1


async def test_each_school_keeps_its_own_event_log_and_one_breaking_leaves_the_other(
    make_bot: Any,
) -> None:
    first, second, _a, _b = await two_schools(make_bot)
    await file_concern(first)
    await file_concern(second)
    for bot in (first, second):
        async with bot.router.sessions() as session:
            seqs = list(await session.scalars(select(Event.seq).order_by(Event.seq)))
            assert seqs == list(range(1, len(seqs) + 1))  # each log starts at 1, no gap
            assert (await verify_log(session)).ok

    async with first.engine.begin() as connection:  # behind the bot's back
        await connection.execute(
            text("UPDATE events SET actor_email = 'someone@else' WHERE school_id = 1 AND seq = 2")
        )
    async with first.router.sessions() as session:
        broken = await verify_log(session)
    assert not broken.ok and broken.first_broken_seq == 2
    async with second.router.sessions() as session:
        assert (await verify_log(session)).ok


async def test_a_sealed_note_opens_only_in_its_own_schools_log(make_bot: Any) -> None:
    first, _second, _a, _b = await two_schools(make_bot)
    async with school_sessions(first.engine, SECOND)() as session, session.begin():
        entry = await record_event(
            session,
            kind="case_note",
            at=NOW,
            actor_email=DSL,
            secret={"note": "Spoke to the family."},
            cipher=first.cipher,
        )
    assert entry.school_id == SECOND and entry.seq == 1
    assert open_event(first.cipher, entry) == {"note": "Spoke to the family."}
    moved = Event(seq=1, school_id=1, detail_enc=entry.detail_enc)
    with pytest.raises(Misplaced):
        open_event(first.cipher, moved)  # the same place in the first school's log
    assert seal_event(first.cipher, 1, {"x": 1}, school=SECOND) != seal_event(
        first.cipher, 1, {"x": 1}, school=1
    )


async def test_the_same_address_and_the_same_keys_live_in_each_school(make_bot: Any) -> None:
    first, _second, _a, _b = await two_schools(make_bot)
    async with trust_sessions(first.engine)() as session:
        people = await session.scalars(select(Person).where(Person.email == DSL))
        assert sorted(p.school_id for p in people) == [1, SECOND]


async def test_every_kind_of_statement_keeps_to_its_school(make_bot: Any) -> None:
    first, second, _a, _b = await two_schools(make_bot)
    await file_concern(first)
    await file_concern(second)
    [mine], [theirs] = await reports_of(first), await reports_of(second)
    sessions = school_sessions(first.engine, 1)
    async with sessions() as session, session.begin():
        # ORM: a join, a subquery, a count, an aliased copy
        joined = select(Report.id).join(Outbox, Outbox.report_id == Report.id).distinct()
        assert list(await session.scalars(joined)) == [mine.id]
        inner = select(Report.id).scalar_subquery()
        assert await session.scalar(select(func.count()).where(Report.id.in_(inner))) == 1
        # ORM and Core changes reach this school's rows only
        changed = await session.execute(update(Report).values(category="changed"))
        assert changed.rowcount == 1  # type: ignore[attr-defined]
        changed = await session.execute(update(_REPORTS).values(subcategory="changed"))
        assert changed.rowcount == 1  # type: ignore[attr-defined]
        gone = await session.execute(delete(Outbox).where(Outbox.kind == "nothing-such"))
        assert gone.rowcount == 0  # type: ignore[attr-defined]
        # a prebuilt statement with its school's parameter
        mine_only = bound(
            select(_REPORTS.c.id).where(_REPORTS.c.school_id == bindparam(SCHOOL_PARAM))
        )
        assert list(await session.scalars(mine_only)) == [mine.id]
        # a row added, or inserted, is the school's
        session.add(Person(email="new@example.org", display_name="N", roles=[], updated_at=NOW))
        await session.flush()
    [unchanged] = await reports_of(second)
    assert (unchanged.category, unchanged.subcategory) == (theirs.category, theirs.subcategory)
    async with trust_sessions(first.engine)() as session:
        added = await session.scalar(select(Person).where(Person.email == "new@example.org"))
        assert added is not None and added.school_id == 1


async def test_a_statement_that_forgets_its_school_fails(make_bot: Any) -> None:
    first, _second, _a, _b = await two_schools(make_bot)
    await file_concern(first)
    nobody = session_factory(first.engine)  # a session of no school
    async with nobody() as session:
        with pytest.raises(Unscoped):
            await session.scalars(select(Report))
        with pytest.raises(Unscoped):
            await session.execute(select(_REPORTS.c.id))
        with pytest.raises(Unscoped):
            await session.execute(update(_REPORTS).values(category="x"))
        session.add(Person(email="x@example.org", display_name="X", roles=[], updated_at=NOW))
        with pytest.raises(Unscoped):
            await session.flush()
    async with school_sessions(first.engine, 1)() as session:
        with pytest.raises(Unscoped):  # Core, with no school parameter
            await session.execute(select(_REPORTS.c.id))
        forged = select(_REPORTS.c.id).execution_options(**{SCHOOL_BOUND: True})
        with pytest.raises(Unscoped):  # marked bound by hand, never checked
            await session.execute(forged)
        session.add(
            Person(
                email="y@example.org", display_name="Y", roles=[], updated_at=NOW, school_id=SECOND
            )
        )
        with pytest.raises(Unscoped):  # another school's row, in this school's session
            await session.flush()
    async with trust_sessions(first.engine)() as session:
        statement = bound(
            select(_REPORTS.c.id).where(_REPORTS.c.school_id == bindparam(SCHOOL_PARAM))
        )
        with pytest.raises(Unscoped):  # one school's statement, for the whole trust
            await session.execute(statement)
        session.add(Person(email="z@example.org", display_name="Z", roles=[], updated_at=NOW))
        with pytest.raises(Unscoped):  # a trust's row must say its school
            await session.flush()
    with pytest.raises(Unscoped):
        bound(select(_REPORTS.c.id))  # nothing in it names the school


async def test_verify_log_names_the_school_whose_log_was_altered_and_checks_the_others(
    make_bot: Any, database_url: str
) -> None:
    url = "" if database_url.startswith("sqlite") else database_url  # "": DATA_DIR's SQLite
    first = await make_bot(database_url=url)
    await add_school(first.engine)
    second = await make_bot(database_url=url, school_id=SECOND)
    await file_concern(first)
    await file_concern(second)
    status, out, err = await verify_log_command(first, url)
    assert status == 0, err
    assert "School default: OK: the event log's" in out
    assert "School second: OK: the event log's" in out

    async with first.engine.begin() as connection:  # school 1's entry 2, behind the bot's back
        await connection.execute(
            text("UPDATE events SET actor_email = 'someone@else' WHERE school_id = 1 AND seq = 2")
        )
    status, out, err = await verify_log_command(first, url)
    assert status == 1
    assert "School default: BROKEN: the event log has been altered: entry 2" in err
    assert "School second: OK" in out  # still checked, and intact
    status, out, err = await verify_log_command(first, url, "--school", "second")
    assert (status, "School default" in out + err) == (0, False), err
    status, _out, err = await verify_log_command(first, url, "--school", "default")
    assert status == 1 and "School default: BROKEN" in err
    status, _out, err = await verify_log_command(first, url, "--school", "third")
    assert status == 2 and "There is no school 'third' in the database" in err


async def test_each_school_keeps_its_own_way_to_reach_a_person(make_bot: Any) -> None:
    """One person, two schools' bots (each school's deployment its own registration): each
    school alerts them in its own conversation, never in the other bot's."""
    first, _second, _a, _b = await two_schools(make_bot)
    for school, conversation in ((1, "a:conversation-of-the-first"), (SECOND, "a:of-the-second")):
        async with school_sessions(first.engine, school)() as session, session.begin():
            await remember(
                session,
                channel="teams",
                platform_user_id="29:same-person",
                address={"conversation": {"id": conversation}},
                now=NOW,
                email=DSL,
            )
    for school, conversation in ((1, "a:conversation-of-the-first"), (SECOND, "a:of-the-second")):
        async with school_sessions(first.engine, school)() as session:
            [address] = await reachable_by_email(session, "teams", DSL)
        assert address.address["conversation"]["id"] == conversation
