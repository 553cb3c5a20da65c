"""A school's database made by an earlier release, upgraded by this one: every record kept, the
event log intact with the same entries, every sealed text readable (a report's answers, a
note in the log, a filtering check's), and the bot carrying
on with it (the report left half-written is finished and filed, and the log still verifies).

The old databases are in tests/fixtures/databases (made once by its make.py, by the release
whose schema each holds; never made again). A migration that drops, rewrites or loses a record
of an existing school fails here, on both databases; a test that builds its database with
today's migrations cannot see that.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.record.events import open_event
from bot.record.log_check import verify_log
from bot.reports.service import read_answers
from storage.migrate import head_revision
from storage.models import Event, FilteringCheck, Report
from storage.scope import ONE_SCHOOL, SCHOOL_TABLES
from tests.support.clock import FakeClock
from tests.support.harness import Chat
from tests.support.walk import CONCERN_TAIL, STAFF, walk_to_summary

OLD = Path(__file__).parent / "fixtures" / "databases"
# The schema each old database holds; the list grows by one with each release that changes it.
REVISIONS = ("0019_briefing_drafts",)
# Rows the upgraded bot writes at start on its own (prepare_storage mirrors the school file's
# people and training), where the old release wrote the same: counted, never fewer.
WRITTEN_AT_START = {"people", "training_records"}

pytestmark = pytest.mark.unmigrated


def _facts(revision: str, database: str) -> dict[str, Any]:
    return json.loads((OLD / f"at_{revision}.{database}.json").read_text())


async def _load(database_url: str, revision: str, tmp_path: Path) -> str:
    """The old database at `database_url` (empty before: the test is `unmigrated`)."""
    if database_url.startswith("sqlite"):
        shutil.copyfile(OLD / f"at_{revision}.sqlite", tmp_path / "bot.db")
        return "sqlite"
    dump = (OLD / f"at_{revision}.postgresql.sql").read_text()
    # psql's own commands (pg_dump's `\restrict` guard lines) are not SQL: the rest is.
    sql = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute(sql)  # type: ignore[union-attr]
    finally:
        await engine.dispose()
    return "postgresql"


@pytest.mark.parametrize("revision", REVISIONS)
async def test_an_old_database_keeps_every_record_through_the_upgrade(
    database_url, make_bot, tmp_path, clock: FakeClock, revision: str
):
    database = await _load(database_url, revision, tmp_path)
    old = _facts(revision, database)
    assert old["revision"] == revision

    bot = await make_bot(encryption_key=old["encryption_key"])  # migrates it, as at every start

    async with bot.router.sessions() as session:
        revision_now = await session.scalar(text("SELECT version_num FROM alembic_version"))
        assert revision_now == head_revision()
        for table, count in old["rows"].items():
            now = await session.scalar(select(func.count()).select_from(text(table)))
            if table in WRITTEN_AT_START:
                assert now >= count, (table, now, count)
            else:
                assert now == count, (table, now, count)
        # One school now: the database's, and every record is its.
        schools = (await session.execute(text("SELECT id, key FROM schools"))).all()
        assert [tuple(s) for s in schools] == [(ONE_SCHOOL, "default")]
        for table in SCHOOL_TABLES:
            elsewhere = text(f"SELECT count(*) FROM {table.name} WHERE school_id <> :one")  # noqa: S608
            assert await session.scalar(elsewhere, {"one": ONE_SCHOOL}) == 0, table.name
        check = await verify_log(session)
        assert check.ok, check
        assert check.reports == len(old["reports"]), check
        # The same entries, not a log made anew: the old head is still an entry, unchanged.
        head = await session.scalar(select(Event.hash).where(Event.seq == old["log"]["entries"]))
        assert head == old["log"]["head_hash"]
        for before in old["reports"]:
            report = await session.get(Report, before["id"])
            assert report is not None, before["reference"]
            assert (report.reference, report.kind, report.status, report.case_status) == (
                before["reference"],
                before["kind"],
                before["status"],
                before["case_status"],
            )
            stored = await read_answers(cipher=bot.cipher, report=report)
            assert stored["answers"] == before["answers"], before["reference"]
        for before in old["checks"]:  # what the ICT lead typed, sealed with the check
            check = await session.get(FilteringCheck, before["id"])
            assert check is not None and bot.cipher.open(check, "text_enc") == before["text"]
        for before in old["sealed_entries"]:  # a closing note, a closure's reason
            event = await session.scalar(select(Event).where(Event.seq == before["seq"]))
            assert event is not None and open_event(bot.cipher, event) == before["secret"]
        assert old["checks"] and old["sealed_entries"]  # the old database has both

    # The school carries on with it: the report left half-written before the upgrade is
    # finished and filed after it.
    chat = Chat(bot, STAFF)
    await chat.open()
    answers = {"category": "commerce", "commerce_kind": "scam", **CONCERN_TAIL}
    asked = await walk_to_summary(chat, answers)
    assert asked[0] == "category", asked  # where it was left, not a new report
    await chat.click("__submit")
    async with bot.router.sessions() as session:
        after = await verify_log(session)
        newest = await session.scalar(select(Report).order_by(Report.id.desc()).limit(1))
    assert after.ok and after.reports == len(old["reports"]) + 1, after
    assert newest is not None and newest.reference not in {r["reference"] for r in old["reports"]}
