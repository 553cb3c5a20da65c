"""The reports themselves are bound into the event log, and each encrypted value to its place.

Tampering is done as someone with write access to the database and no key would do it: plain
SQL on the tables, bypassing the bot. `python -m bot verify-log` must name the report that no
longer matches what the log recorded, and a ciphertext moved to another row or column must not
decrypt there: the case view and the chronology export show a clear line instead. Every test
runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from bot.app import Bot
from bot.delivery.messages import Card
from bot.server import create_app
from storage.models import Event, Report
from tests.conftest import EXAMPLE_CONFIG
from tests.support.alerts import DSL, file_concern
from tests.support.harness import Chat
from tests.support.legacy import report_from_before_binding
from tests.support.reports import all_reports
from tests.support.warm import run_bot

FIRST = "First report: AB was sent threatening messages on a gaming site."
SECOND = "Second report: CD shared a scam link in the year group chat."
OTHER_STAFF = "s.nakamura@example.org"
# What the case view and the export show in place of a value that does not belong to its row.
ELSEWHERE = "does not belong here"


# --- helpers


async def two_reports(make_bot: Any, database_url: str) -> tuple[Bot, str, list[Report]]:
    """Two filed concerns; the database URL the command is given ("" for DATA_DIR's SQLite)."""
    url = "" if database_url.startswith("sqlite") else database_url
    bot = await make_bot(database_url=url)
    await file_concern(bot, what_happened=FIRST)
    await file_concern(bot, what_happened=SECOND)
    reports = await all_reports(bot)
    assert len(reports) == 2
    return bot, url, reports


async def verify_log_command(bot: Bot, url: str, *args: str) -> tuple[int, str, str]:
    """`python -m bot verify-log [args]` in a new process, as an IT person runs it."""
    await bot.engine.dispose()
    env = {
        **os.environ,
        "DATA_DIR": str(bot.settings.data_dir),
        "DATABASE_URL": url,
        "ENCRYPTION_KEY": "",
    }
    done = await asyncio.to_thread(run_bot, "verify-log", *args, env=env, timeout=60)
    return done.returncode, done.stdout, done.stderr


async def sql(bot: Bot, statement: Any, **params: Any) -> None:
    if isinstance(statement, str):
        statement = text(statement)
    async with bot.engine.begin() as connection:
        await connection.execute(statement, params)


async def sql_without_foreign_keys(bot: Bot, statement: str, **params: Any) -> None:
    """What it takes to delete a row others point at: foreign keys switched off."""
    if bot.engine.dialect.name == "postgresql":
        async with bot.engine.begin() as connection:
            # Superuser only: skips the foreign-key triggers for this transaction.
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            await connection.execute(text(statement), params)
        return
    await bot.engine.dispose()
    path = make_url(str(bot.engine.url)).database
    assert path
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute(statement, params)
        db.commit()


async def stored(bot: Bot, report_id: int) -> bytes:
    async with bot.router.sessions() as session:
        value = await session.scalar(select(Report.answers_enc).where(Report.id == report_id))
    assert value is not None
    return bytes(value)


async def export_csv(bot: Bot, report_id: int) -> tuple[int, str]:
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        response = await client.post("/api/web/login", json={"email": DSL})
        assert response.status == 200, await response.text()
        response = await client.get(f"/api/web/cases/{report_id}/chronology.csv")
        return response.status, (await response.read()).decode("utf-8-sig")


def shown(replies: list[Any]) -> str:
    """Everything a chat reply shows: texts and every card field."""
    parts = []
    for reply in replies:
        parts.append(getattr(reply, "text", None) or "")
        if isinstance(reply, Card):
            parts += [f"{f.label}: {f.value}" for f in reply.fields]
    return "\n".join(parts)


# --- verify-log binds the reports


async def test_an_untouched_record_verifies_with_its_reports(make_bot, database_url):
    bot, url, _reports = await two_reports(make_bot, database_url)
    code, out, err = await verify_log_command(bot, url)
    assert (code, err) == (0, "")
    assert "the 2 reports match what it recorded" in out


async def _swap_answers(bot: Bot, first: Report, second: Report) -> None:
    one, two = await stored(bot, first.id), await stored(bot, second.id)
    await sql(bot, update(Report).where(Report.id == first.id).values(answers_enc=two))
    await sql(bot, update(Report).where(Report.id == second.id).values(answers_enc=one))


async def _edit(bot: Bot, first: Report, **values: Any) -> None:
    await sql(bot, update(Report).where(Report.id == first.id).values(**values))


Tamper = Callable[[Bot, Report, Report], Awaitable[None]]
TAMPERING: dict[str, tuple[Tamper, str]] = {
    "swapped answers": (_swap_answers, "its answers"),
    "edited reporter": (
        lambda bot, first, _second: _edit(bot, first, reporter_email=OTHER_STAFF),
        "its reporter",
    ),
    "edited reference": (
        lambda bot, first, _second: _edit(bot, first, reference="OS-2026-09999"),
        "its reference (now OS-2026-09999)",
    ),
    "edited category": (
        lambda bot, first, _second: _edit(bot, first, category="grooming"),
        "its kind or category",
    ),
    "edited urgency": (
        lambda bot, first, _second: _edit(bot, first, urgent=True),
        "its urgency",
    ),
}


@pytest.mark.parametrize("tampering", list(TAMPERING))
async def test_verify_log_names_the_report_that_was_changed(make_bot, database_url, tampering):
    bot, url, (first, second) = await two_reports(make_bot, database_url)
    tamper, what = TAMPERING[tampering]
    await tamper(bot, first, second)

    code, out, err = await verify_log_command(bot, url)
    assert (code, out) == (1, "")
    assert f"report {first.reference} no longer matches the event log: {what}" in err
    assert "Traceback" not in err


async def test_verify_log_names_a_deleted_report(make_bot, database_url):
    bot, url, (_first, second) = await two_reports(make_bot, database_url)
    # The report goes, its log entries stay (deleting them would break the chain itself).
    await sql_without_foreign_keys(bot, "DELETE FROM outbox WHERE report_id = :id", id=second.id)
    await sql_without_foreign_keys(bot, "DELETE FROM reports WHERE id = :id", id=second.id)

    code, out, err = await verify_log_command(bot, url)
    assert (code, out) == (1, "")
    assert f"report {second.reference} (id {second.id}) was deleted" in err
    assert "Traceback" not in err


async def test_verify_log_names_a_report_added_behind_the_bots_back(make_bot, database_url):
    bot, url, (first, _second) = await two_reports(make_bot, database_url)
    await sql(
        bot,
        "INSERT INTO reports (school_id, reference, kind, category, urgent, allegation, "
        "allegation_about_head, status, reporter_email, channel, flow_id, flow_version, "
        "created_at, updated_at) SELECT school_id, 'OS-2026-00777', kind, category, urgent, "
        "allegation, allegation_about_head, status, reporter_email, channel, flow_id, "
        "flow_version, created_at, updated_at FROM reports WHERE id = :id",
        id=first.id,
    )
    code, out, err = await verify_log_command(bot, url)
    assert (code, out) == (1, "")
    assert "report OS-2026-00777" in err and "is not in the event log" in err


async def test_reports_from_before_the_binding_are_bound_once_at_start(
    make_bot, database_url, tmp_path, clock
):
    """A report stored before its content was bound (a Fernet token, a `submitted` entry with
    no binding) is vouched for, as it is then, by one entry written when the bot first starts
    with bindings; from then on a change to it is found."""
    url = "" if database_url.startswith("sqlite") else database_url
    old_id, _key = await report_from_before_binding(
        data_dir=tmp_path / "data",
        database_url=url,
        school_config=EXAMPLE_CONFIG,
        clock=clock,
        document={"answers": {}, "rows": []},
    )
    restarted = await make_bot(database_url=url)
    async with restarted.router.sessions() as session:
        bound = list(await session.scalars(select(Event).where(Event.report_id == old_id)))
    assert [e.kind for e in bound] == ["submitted", "report_bound"]
    code, out, err = await verify_log_command(restarted, url)
    assert (code, err) == (0, ""), err
    assert "the report matches what it recorded" in out

    await make_bot(database_url=url)  # a second start binds nothing more
    async with restarted.router.sessions() as session:
        again = list(await session.scalars(select(Event).where(Event.report_id == old_id)))
    assert len(again) == 2

    await sql(restarted, update(Report).where(Report.id == old_id).values(category="grooming"))
    code, _out, err = await verify_log_command(restarted, url)
    assert code == 1
    assert "report OS-2025-00042 no longer matches the event log: its kind or category" in err


# --- a ciphertext belongs to one row and one column


async def test_answers_moved_to_another_report_do_not_decrypt_there(make_bot, database_url):
    bot, _url, (first, second) = await two_reports(make_bot, database_url)
    await sql(
        bot,
        update(Report)
        .where(Report.id == second.id)
        .values(answers_enc=await stored(bot, first.id)),
    )

    status, body = await export_csv(bot, second.id)
    assert status == 200, body
    assert FIRST not in body and SECOND not in body
    assert ELSEWHERE in body
    table = list(csv.reader(io.StringIO(body)))
    assert ["Reference", second.reference] in table

    replies = await Chat(bot, DSL).click(f"case:view:{second.id}")
    view = shown(replies)
    assert ELSEWHERE in view
    assert FIRST not in view


async def test_a_note_moved_into_the_answers_column_does_not_decrypt(make_bot, database_url):
    bot, _url, (first, _second) = await two_reports(make_bot, database_url)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:note:{first.id}")
    await dsl.send("Spoke to AB's form tutor.")
    await dsl.click("__submit")
    async with bot.router.sessions() as session:
        note = await session.scalar(select(Event).where(Event.kind == "note"))
    assert note is not None and note.detail_enc is not None
    # The note's ciphertext into the report's answers, the answers into the note.
    answers = await stored(bot, first.id)
    await sql(bot, update(Report).where(Report.id == first.id).values(answers_enc=note.detail_enc))
    await sql(bot, update(Event).where(Event.id == note.id).values(detail_enc=answers))

    status, body = await export_csv(bot, first.id)
    assert status == 200, body
    assert "form tutor" not in body and FIRST not in body
    assert body.count(ELSEWHERE) == 2  # the answers, and the note's line
    view = shown(await dsl.click(f"case:view:{first.id}"))
    assert view.count(ELSEWHERE) == 2
    assert "form tutor" not in view and FIRST not in view
