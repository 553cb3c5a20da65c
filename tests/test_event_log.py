"""The tamper-evident event log: every change, deletion or reshuffle is found and named.

Tampering is done the way someone with database access would do it: plain SQL on the tables,
bypassing the bot. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, event, select, text

from bot.app import Bot
from bot.record.event_chain import GENESIS, entry_hash
from bot.record.events import HEAD_RESTORED, LogCheck, open_event, record_event, verify_log
from storage.models import Event, EventChain
from storage.types import UtcDateTime
from tests.support.harness import Chat
from tests.support.reports import only_report
from tests.support.walk import CONCERN_TAIL, STAFF, start, walk_to_summary
from tests.support.warm import run_bot

START = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)


async def _add(bot: Bot, count: int, *, first: int = 1) -> list[int]:
    """`count` entries, three to a transaction, each with detail and sealed bytes; their ids."""
    ids = []
    for group in range(first, first + count, 3):
        async with bot.router.sessions() as session, session.begin():
            for n in range(group, min(group + 3, first + count)):
                event = await record_event(
                    session,
                    kind=f"kind_{n}",
                    at=START + timedelta(minutes=n, microseconds=n),
                    actor_email=f"person{n}@example.org",
                    detail={"n": n, "zeta": [1, 2], "alpha": {"b": True, "a": None}},
                    secret={"note": f"note {n}"},
                    cipher=bot.cipher,
                )
                ids.append(event.id)
    return ids


async def _verify(bot: Bot, **options: Any) -> LogCheck:
    async with bot.router.sessions() as session:
        return await verify_log(session, **options)


async def _sql(bot: Bot, statement: Any, **params: Any) -> None:
    if isinstance(statement, str):
        statement = text(statement)
    async with bot.engine.begin() as connection:
        await connection.execute(statement, params)


async def _chain(bot: Bot) -> list[tuple[int, str, str]]:
    async with bot.router.sessions() as session:
        rows = await session.execute(select(Event.seq, Event.prev_hash, Event.hash))
        return sorted((r.seq, r.prev_hash, r.hash) for r in rows)


# --- an intact log


async def test_an_empty_log_verifies(make_bot):
    bot = await make_bot()
    assert await _verify(bot) == LogCheck(ok=True, checked=0)


@pytest.mark.parametrize("batch_size", [2, 500])
async def test_a_chain_of_entries_verifies(make_bot, batch_size):
    bot = await make_bot()
    await _add(bot, 7)

    check = await _verify(bot, batch_size=batch_size)

    chain = await _chain(bot)
    assert [seq for seq, _, _ in chain] == [1, 2, 3, 4, 5, 6, 7]
    assert chain[0][1] == GENESIS
    assert all(chain[i][1] == chain[i - 1][2] for i in range(1, 7))
    assert check == LogCheck(ok=True, checked=7, head_hash=chain[-1][2])
    async with bot.router.sessions() as session:
        head = await session.get(EventChain, 1)
    assert head is not None and (head.seq, head.hash) == (7, chain[-1][2])


async def test_each_hash_covers_the_documented_fields(make_bot):
    bot = await make_bot()
    async with bot.router.sessions() as session, session.begin():
        event = await record_event(
            session,
            kind="note_added",
            at=START,
            actor_email="a.hartley@example.org",
            detail={"b": 1, "a": [2]},
            secret={"note": "a note"},
            cipher=bot.cipher,
        )
    sealed = event.detail_enc
    assert sealed is not None
    assert event.hash == entry_hash(
        seq=1,
        prev_hash=GENESIS,
        report_id=None,
        kind="note_added",
        actor_email="a.hartley@example.org",
        at=START,
        detail={"a": [2], "b": 1},
        sealed=sealed,
    )
    assert open_event(bot.cipher, event) == {"note": "a note"}


async def test_a_real_report_leaves_a_log_that_verifies(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await chat.click("yes")
    answers = {
        "category": "contact",
        "contact_kind": "exploitation",
        "contact_ongoing": "no",
        "contact_meeting": "yes",  # another urgent reason: its own entry in the log
        **CONCERN_TAIL,
    }
    await walk_to_summary(chat, answers)
    await chat.click("__submit")
    report = await only_report(bot)

    check = await _verify(bot)
    assert check.ok, check.reason
    assert check.checked >= 2

    await _sql(bot, "UPDATE events SET report_id = NULL WHERE report_id = :r", r=report.id)
    check = await _verify(bot)
    assert not check.ok and check.first_broken_seq is not None
    assert check.reason == (
        f"entry {check.first_broken_seq} (id {check.first_broken_id}) "
        "was changed after it was written"
    )


# --- tampering with one entry


SET_AT = text("UPDATE events SET at = :v WHERE seq = 5").bindparams(
    bindparam("v", type_=UtcDateTime())
)


TAMPERING = {
    "kind": ("UPDATE events SET kind = 'roles_changed' WHERE seq = 5", {}),
    "detail": ("UPDATE events SET detail = :v WHERE seq = 5", {"v": '{"n": 99}'}),
    "detail order kept, value changed": (
        "UPDATE events SET detail = :v WHERE seq = 5",
        {"v": '{"alpha": {"a": null, "b": false}, "n": 5, "zeta": [1, 2]}'},
    ),
    "actor": ("UPDATE events SET actor_email = 'someone.else@example.org' WHERE seq = 5", {}),
    "actor removed": ("UPDATE events SET actor_email = NULL WHERE seq = 5", {}),
    "at": (SET_AT, {"v": START + timedelta(minutes=5)}),  # five microseconds earlier
    "detail_enc": ("UPDATE events SET detail_enc = :v WHERE seq = 5", {"v": b"other bytes"}),
    "detail_enc removed": ("UPDATE events SET detail_enc = NULL WHERE seq = 5", {}),
    "prev_hash": ("UPDATE events SET prev_hash = :v WHERE seq = 5", {"v": "1" * 64}),
    "hash": ("UPDATE events SET hash = :v WHERE seq = 5", {"v": "1" * 64}),
}


@pytest.mark.parametrize("batch_size", [2, 500])
@pytest.mark.parametrize("column", list(TAMPERING))
async def test_a_changed_entry_is_found_and_named(make_bot, column, batch_size):
    bot = await make_bot()
    ids = await _add(bot, 7)
    assert (await _verify(bot)).ok
    statement, params = TAMPERING[column]

    await _sql(bot, statement, **params)

    check = await _verify(bot, batch_size=batch_size)
    assert check == LogCheck(
        ok=False,
        checked=4,
        first_broken_seq=5,
        first_broken_id=ids[4],
        reason=f"entry 5 (id {ids[4]}) was changed after it was written",
    )


async def test_a_changed_entry_with_its_hash_recomputed_breaks_the_next_link(make_bot):
    bot = await make_bot()
    ids = await _add(bot, 6)
    async with bot.router.sessions() as session:
        row = (await session.execute(select(Event).where(Event.seq == 3))).scalar_one()
    forged = entry_hash(
        seq=3,
        prev_hash=row.prev_hash,
        report_id=row.report_id,
        kind="roles_changed",
        actor_email=row.actor_email,
        at=row.at,
        detail=row.detail,
        sealed=row.detail_enc,
    )

    await _sql(bot, "UPDATE events SET kind = 'roles_changed', hash = :h WHERE seq = 3", h=forged)

    check = await _verify(bot)
    assert (check.ok, check.first_broken_seq, check.first_broken_id) == (False, 4, ids[3])
    assert check.reason == (
        "entry 4's link to the one before it is broken: entry 3 or 4 was rewritten"
    )


async def test_rewriting_the_last_entry_without_the_head_is_found(make_bot):
    bot = await make_bot()
    ids = await _add(bot, 4)
    async with bot.router.sessions() as session:
        row = (await session.execute(select(Event).where(Event.seq == 4))).scalar_one()
    fields = {
        "seq": 4,
        "prev_hash": row.prev_hash,
        "report_id": None,
        "actor_email": row.actor_email,
        "at": row.at,
        "detail": row.detail,
        "sealed": row.detail_enc,
    }
    forged = entry_hash(kind="forged", **fields)

    await _sql(bot, "UPDATE events SET kind = 'forged', hash = :h WHERE seq = 4", h=forged)

    check = await _verify(bot)
    assert (check.ok, check.first_broken_seq, check.first_broken_id) == (False, 4, ids[3])
    assert check.reason == (
        f"entry 4 (id {ids[3]}) does not match the record of where the log ends: it was rewritten"
    )


async def test_an_entry_that_can_no_longer_be_read_is_named(make_bot, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL refuses a value that is not of the column's type")
    bot = await make_bot()
    ids = await _add(bot, 6)

    await _sql(bot, "UPDATE events SET detail = '{not json' WHERE seq = 4")

    check = await _verify(bot, batch_size=3)
    assert (check.ok, check.first_broken_seq, check.first_broken_id) == (False, 4, ids[3])
    assert check.reason == (
        f"entry 4 (id {ids[3]}) was changed after it was written: it can no longer be read"
    )

    await _sql(bot, "UPDATE events SET at = 'last tuesday' WHERE seq = 2")
    check = await _verify(bot)
    assert (check.first_broken_seq, check.first_broken_id, check.checked) == (2, ids[1], 1)


# --- deleting and reordering entries


async def test_a_deleted_middle_entry_is_found(make_bot):
    bot = await make_bot()
    await _add(bot, 7)

    await _sql(bot, "DELETE FROM events WHERE seq = 4")

    check = await _verify(bot, batch_size=2)
    assert check == LogCheck(
        ok=False,
        checked=3,
        first_broken_seq=4,
        first_broken_id=None,
        reason="entry 4 is missing: the log jumps from 3 to 5",
    )


async def test_several_deleted_entries_are_found(make_bot):
    bot = await make_bot()
    await _add(bot, 7)

    await _sql(bot, "DELETE FROM events WHERE seq IN (3, 4, 5)")

    check = await _verify(bot)
    assert (check.first_broken_seq, check.checked) == (3, 2)
    assert check.reason == "entries 3 to 5 are missing: the log jumps from 2 to 6"


async def test_a_deleted_first_entry_is_found(make_bot):
    bot = await make_bot()
    await _add(bot, 3)

    await _sql(bot, "DELETE FROM events WHERE seq = 1")

    check = await _verify(bot)
    assert (check.ok, check.first_broken_seq, check.checked) == (False, 1, 0)
    assert check.reason == "entry 1 is missing: the log starts at 2"


async def test_a_deleted_last_entry_is_found(make_bot):
    bot = await make_bot()
    await _add(bot, 7)

    await _sql(bot, "DELETE FROM events WHERE seq = 7")

    check = await _verify(bot)
    assert check == LogCheck(
        ok=False,
        checked=6,
        first_broken_seq=7,
        first_broken_id=None,
        reason="the last entry (7) is missing",
    )
    await _sql(bot, "DELETE FROM events WHERE seq = 6")
    check = await _verify(bot)
    assert (check.first_broken_seq, check.reason) == (6, "the last entries (6 to 7) are missing")


async def test_deleting_every_entry_is_found(make_bot):
    bot = await make_bot()
    await _add(bot, 3)

    await _sql(bot, "DELETE FROM events")

    check = await _verify(bot)
    assert (check.ok, check.checked, check.reason) == (
        False,
        0,
        "the last entries (1 to 3) are missing",
    )


async def test_swapping_two_entries_is_found(make_bot):
    bot = await make_bot()
    ids = await _add(bot, 6)

    await _sql(bot, "UPDATE events SET seq = -1 WHERE seq = 3")
    await _sql(bot, "UPDATE events SET seq = 3 WHERE seq = 4")
    await _sql(bot, "UPDATE events SET seq = 4 WHERE seq = -1")

    check = await _verify(bot)
    assert check == LogCheck(
        ok=False,
        checked=2,
        first_broken_seq=3,
        first_broken_id=ids[3],  # the entry written fourth now claims to be third
        reason=f"entry 3 (id {ids[3]}) was changed after it was written",
    )


# --- entries slipped in, and the head record


async def _forge(bot: Bot, **fields: Any) -> int:
    """An entry written straight into the table, as someone bypassing the bot would."""
    async with bot.router.sessions() as session, session.begin():
        event = Event(kind="forged", actor_email=None, detail={}, at=START, **fields)
        session.add(event)
        await session.flush()
        return event.id


async def test_an_entry_added_after_the_end_is_found(make_bot):
    bot = await make_bot()
    await _add(bot, 3)
    head = (await _chain(bot))[-1][2]
    digest = entry_hash(
        seq=4,
        prev_hash=head,
        report_id=None,
        kind="forged",
        actor_email=None,
        at=START,
        detail={},
        sealed=None,
    )

    forged = await _forge(bot, seq=4, prev_hash=head, hash=digest)

    check = await _verify(bot)
    assert check == LogCheck(
        ok=False,
        checked=3,
        first_broken_seq=4,
        first_broken_id=forged,
        reason=f"entry 4 (id {forged}) was added after the recorded end of the log",
    )


async def test_an_entry_added_outside_the_chain_is_found(make_bot):
    bot = await make_bot()
    await _add(bot, 3)

    forged = await _forge(bot)  # no seq, no hashes

    check = await _verify(bot)
    assert (check.ok, check.first_broken_seq, check.first_broken_id) == (False, None, forged)
    assert check.reason == (
        f"an entry (id {forged}) was added outside the chain: it has no place in it"
    )


async def test_entries_from_before_the_chain_are_counted_not_failed(make_bot):
    bot = await make_bot()
    await _forge(bot)  # as written before migration 0002 added the chain
    await _forge(bot)

    await _add(bot, 3)

    check = await _verify(bot)
    assert (check.ok, check.checked, check.unchained) == (True, 3, 2)


async def test_a_deleted_head_record_is_found_then_noted_in_the_log(make_bot):
    bot = await make_bot()
    await _add(bot, 3)

    await _sql(bot, "DELETE FROM event_chain")

    check = await _verify(bot)
    assert (check.ok, check.checked, check.first_broken_seq) == (False, 3, None)
    assert check.reason is not None and "where the log ends" in check.reason

    await _add(bot, 1, first=4)  # the bot carries on, and the log says what happened

    assert (await _verify(bot)).ok
    async with bot.router.sessions() as session:
        rows = list(await session.scalars(select(Event).order_by(Event.seq)))
    assert [(e.seq, e.kind) for e in rows[-2:]] == [(4, HEAD_RESTORED), (5, "kind_4")]
    assert rows[-2].detail == {"from_entry": 3}


# --- the write side


async def test_concurrent_appends_make_one_unbroken_chain(make_bot):
    bot = await make_bot()
    sessions = bot.router.sessions

    async def append(n: int) -> None:
        async with sessions() as session, session.begin():
            await record_event(
                session, kind="concurrent", at=START, actor_email=None, detail={"n": n}
            )
            await asyncio.sleep(0.01)  # hold the transaction open while the others try

    await asyncio.gather(*(append(n) for n in range(20)))

    chain = await _chain(bot)
    assert [seq for seq, _, _ in chain] == list(range(1, 21))
    assert chain[0][1] == GENESIS
    assert all(chain[i][1] == chain[i - 1][2] for i in range(1, 20))
    async with bot.router.sessions() as session:
        detail = [e.detail["n"] for e in await session.scalars(select(Event))]
    assert sorted(detail) == list(range(20))
    assert await _verify(bot) == LogCheck(ok=True, checked=20, head_hash=chain[-1][2])


async def test_a_rolled_back_entry_leaves_no_gap(make_bot):
    bot = await make_bot()
    await _add(bot, 2)

    async def failed_turn() -> None:
        async with bot.router.sessions() as session, session.begin():
            await record_event(session, kind="lost", at=START, actor_email=None)
            raise RuntimeError("the turn failed")

    with pytest.raises(RuntimeError, match="the turn failed"):
        await failed_turn()
    await _add(bot, 1, first=3)

    assert [seq for seq, _, _ in await _chain(bot)] == [1, 2, 3]
    assert (await _verify(bot)).ok


async def _statements_adding(bot: Bot, count: int) -> list[str]:
    """The SQL of one transaction adding `count` entries to the log."""
    statements: list[str] = []

    def noted(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(bot.engine.sync_engine, "before_cursor_execute", noted)
    try:
        async with bot.router.sessions() as session, session.begin():
            for n in range(count):
                await record_event(session, kind=f"entry_{n}", at=START, actor_email=None)
    finally:
        event.remove(bot.engine.sync_engine, "before_cursor_execute", noted)
    return statements


async def test_a_transaction_reads_the_head_once_however_many_entries_it_adds(make_bot):
    # A filed report adds two entries in its turn: the head row, locked by the first, was read
    # again by the second (a round trip on PostgreSQL for nothing: nobody else can move it).
    bot = await make_bot()
    await _add(bot, 1)
    statements = await _statements_adding(bot, 3)
    heads_read = [
        s for s in statements if s.lstrip().upper().startswith("SELECT") and "event_chain" in s
    ]
    assert len(heads_read) == 1
    assert [seq for seq, _, _ in await _chain(bot)] == [1, 2, 3, 4]
    assert (await _verify(bot)).ok


async def test_an_entry_is_one_statement_on_postgresql(make_bot, database_url):
    # The entry's INSERT and the head's UPDATE, two round trips each time, are one on
    # PostgreSQL (a data-modifying WITH); SQLite has no such statement and needs no trip.
    bot = await make_bot()
    await _add(bot, 1)
    statements = await _statements_adding(bot, 2)
    written = [s for s in statements if "events" in s or "event_chain" in s]
    per_entry = 1 if database_url.startswith("postgresql") else 2
    assert len(written) == 1 + 2 * per_entry  # the head read once, then each entry
    assert [seq for seq, _, _ in await _chain(bot)] == [1, 2, 3]
    assert (await _verify(bot)).ok


async def _undone_in_a_savepoint(session: Any) -> None:
    async with session.begin_nested():
        await record_event(session, kind="undone", at=START, actor_email=None)
        raise RuntimeError("this part failed")


async def test_entries_undone_with_a_savepoint_leave_no_gap_for_the_next(make_bot):
    bot = await make_bot()
    async with bot.router.sessions() as session, session.begin():
        await record_event(session, kind="kept_1", at=START, actor_email=None)
        with pytest.raises(RuntimeError):
            await _undone_in_a_savepoint(session)
        await record_event(session, kind="kept_2", at=START, actor_email=None)
        async with session.begin_nested():
            await record_event(session, kind="kept_3", at=START, actor_email=None)
        await record_event(session, kind="kept_4", at=START, actor_email=None)
    async with bot.router.sessions() as session:
        kinds = [e.kind for e in await session.scalars(select(Event).order_by(Event.seq))]
    assert kinds == ["kept_1", "kept_2", "kept_3", "kept_4"]
    assert [seq for seq, _, _ in await _chain(bot)] == [1, 2, 3, 4]
    assert (await _verify(bot)).ok


async def test_an_entry_must_have_a_utc_time_and_plain_json_detail(make_bot):
    bot = await make_bot()
    async with bot.router.sessions() as session, session.begin():
        with pytest.raises(ValueError, match="naive"):
            await record_event(session, kind="x", at=datetime(2026, 1, 1), actor_email=None)
        with pytest.raises(ValueError, match="plain JSON"):
            await record_event(session, kind="x", at=START, actor_email=None, detail={"t": START})
        with pytest.raises(ValueError, match="plain JSON"):
            await record_event(
                session, kind="x", at=START, actor_email=None, detail={"f": float("nan")}
            )
        event = await record_event(
            session, kind="x", at=START, actor_email=None, detail={"t": (1, 2), 3: "k"}
        )
    assert event.detail == {"t": [1, 2], "3": "k"}  # stored as it will be read back
    assert (await _verify(bot)).ok


# --- python -m bot verify-log


async def _verify_log_command(data_dir: Path, database_url: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATA_DIR": str(data_dir), "DATABASE_URL": database_url}
    done = await asyncio.to_thread(run_bot, "verify-log", env=env, timeout=60)
    return done.returncode, done.stdout, done.stderr


async def test_the_verify_log_command(make_bot, database_url, tmp_path):
    # On SQLite, the default database in DATA_DIR, as an IT person would have it.
    url = "" if database_url.startswith("sqlite") else database_url
    bot = await make_bot(database_url=url)
    ids = await _add(bot, 4)
    await bot.engine.dispose()

    code, out, err = await _verify_log_command(tmp_path / "data", url)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "OK: the event log's 4 entries are intact."

    await _sql(bot, "UPDATE events SET actor_email = 'someone.else@example.org' WHERE seq = 2")
    await bot.engine.dispose()

    code, out, err = await _verify_log_command(tmp_path / "data", url)
    assert (code, out) == (1, "")
    assert f"entry 2 (id {ids[1]}) was changed after it was written" in err
    assert "Traceback" not in err


async def test_the_verify_log_command_wants_a_migrated_database(tmp_path):
    code, _, err = await _verify_log_command(tmp_path / "data", "")
    assert code == 2
    assert "not up to date" in err and "python -m bot migrate" in err


async def test_the_help_lists_verify_log(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data")}
    done = await asyncio.to_thread(run_bot, "--help", env=env)
    assert "verify-log" in done.stdout
