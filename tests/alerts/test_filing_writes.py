"""What filing a report writes: the new row once and its changes in one UPDATE (its reference,
sealed answers and alert go together, not one statement each), with every fact as before: the
reference, the answers readable and belonging to the row, the alert, and an intact event log
that binds the report as it is stored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

from bot.record.log_check import verify_log
from bot.reports.service import read_answers
from storage.models import Event, Report
from tests.support.alerts import TEAM, file_concern, outbox
from tests.support.statements import watching


@contextmanager
def report_writes(bot) -> Iterator[list[str]]:
    """The statements that write the reports table while filing."""
    seen: list[str] = []

    def note(statement: str, _context: Any) -> None:
        if statement.startswith(("INSERT INTO reports", "UPDATE reports")):
            seen.append(statement.split(" SET ")[0].split(" (")[0])

    with watching(bot, note):
        yield seen


async def test_a_new_report_is_written_with_one_insert_and_one_update(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})

    with report_writes(bot) as writes:
        await file_concern(bot)

    assert writes == ["INSERT INTO reports", "UPDATE reports"], writes
    async with bot.router.sessions() as session:
        (report,) = await session.scalars(select(Report))
        kinds = list(await session.scalars(select(Event.kind).order_by(Event.seq)))
        check = await verify_log(session)
    assert report.reference is not None and report.reference.endswith(f"{report.id:05d}")
    assert report.status == "submitted"
    assert report.case_status == "open" and report.alerted_at is not None
    stored = await read_answers(cipher=bot.cipher, report=report)
    assert stored["answers"]["category"] == "commerce", stored  # its own, opened
    assert kinds.index("submitted") < kinds.index("alert_raised"), kinds
    assert check.ok and check.reports == 1, check  # as the log recorded it
    alerted = {row.recipient_email for row in await outbox(bot) if row.kind == "alert"}
    assert alerted == TEAM


async def test_an_urgent_report_finished_later_keeps_its_row_and_log(make_bot, channel):
    # Made when the reporter said a child is in danger now (alerted then), finished after:
    # a row others could see and act on meanwhile, written as before.
    bot = await make_bot(notifiers={"test": channel})

    await file_concern(bot, danger="yes")

    async with bot.router.sessions() as session:
        (report,) = await session.scalars(select(Report))
        check = await verify_log(session)
    assert report.status == "submitted" and report.urgent
    assert (await read_answers(cipher=bot.cipher, report=report))["answers"]
    assert check.ok and check.reports == 1, check
