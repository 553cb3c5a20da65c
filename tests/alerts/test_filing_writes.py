"""What filing a report writes: the new row once and its changes in one UPDATE (its reference,
sealed answers and alert go together, not one statement each), with every fact as before: the
reference, the answers readable and belonging to the row, the alert, and an intact event log
that binds the report as it is stored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

import dialogs.engine
from bot.chat import report_filing as bot_report_filing
from bot.delivery.messages import Summary
from bot.record.log_check import verify_log
from bot.reports.service import read_answers
from storage.models import Event, Report
from tests.support.alerts import TEAM, file_concern, outbox
from tests.support.harness import Chat
from tests.support.statements import watching
from tests.support.walk import CONCERN_TAIL, STAFF, start, walk_to_summary


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


async def test_the_rows_filed_are_the_summary_sent_and_it_is_built_once(
    make_bot, channel, monkeypatch
):
    # The Send turn builds the summary to show it answered; filing reuses it rather than
    # building the same rows again, and files exactly what the person was shown.
    bot = await make_bot(notifiers={"test": channel})
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {"immediate_danger": "no", "category": "commerce", "commerce_kind": "scam"}
    await walk_to_summary(chat, {**answers, **CONCERN_TAIL})
    (shown,) = [r for r in chat.replies if isinstance(r, Summary)]
    built: list[str] = []

    def counted(module):
        real = module.summary_for

        def summary_for(dialog, state):
            built.append(module.__name__)
            return real(dialog, state)

        monkeypatch.setattr(module, "summary_for", summary_for)

    counted(dialogs.engine)
    counted(bot_report_filing)
    await chat.click("__submit")

    assert built == ["dialogs.engine"], built  # shown once, not built again to file
    async with bot.router.sessions() as session:
        (report,) = await session.scalars(select(Report))
    stored = (await read_answers(cipher=bot.cipher, report=report))["rows"]
    filed = [(row["step"], row["label"], row["answer"]) for row in stored]
    assert filed == [(row.step_id, row.label, row.value) for row in shown.rows], filed
