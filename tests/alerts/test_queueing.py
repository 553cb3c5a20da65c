"""Queueing a report's messages: the outbox's INSERT is compiled once and reused (each report
otherwise paid for compiling it on the turn that files it), and it still counts what it added
and leaves a row that exists alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine.default import CACHE_HIT

from bot.delivery.outbox import enqueue
from tests.support.alerts import TEAM, file_concern, outbox
from tests.support.statements import watching


@contextmanager
def outbox_inserts(bot) -> Iterator[list[bool]]:
    """For each INSERT into the outbox the bot's engine runs meanwhile: whether SQLAlchemy
    took it from its compiled cache."""
    seen: list[bool] = []

    def note(statement: str, context: Any) -> None:
        if statement.startswith("INSERT INTO outbox"):
            seen.append(context.cache_hit is CACHE_HIT)

    with watching(bot, note):
        yield seen


async def test_a_second_report_queues_its_messages_with_the_compiled_insert(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)  # the first compiles it

    with outbox_inserts(bot) as cached:
        await file_concern(bot)

    assert cached, "filing a concern queued nothing"
    assert all(cached), cached
    rows = [row for row in await outbox(bot) if row.kind == "alert"]
    second = max(row.report_id for row in rows)
    assert {row.recipient_email for row in rows if row.report_id == second} >= TEAM


async def test_queueing_counts_the_rows_it_added_and_keeps_those_that_exist(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    (report_id,) = {row.report_id for row in await outbox(bot) if row.kind == "alert"}
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    emails = ["new.one@example.org", "new.two@example.org"]

    async def queue(people: list[str]) -> int:
        async with bot.router.sessions() as session, session.begin():
            return await enqueue(
                session,
                report_id=report_id,
                emails=people,
                channels=["test"],
                kind="update",
                level=0,
                now=now,
            )

    assert await queue(emails) == 2
    # Both exist now, a third does not: only the third is added, the two left as they were.
    assert await queue([*emails, "new.three@example.org"]) == 1
    updates = [row for row in await outbox(bot) if row.kind == "update"]
    assert sorted(row.recipient_email for row in updates) == sorted(
        [*emails, "new.three@example.org"]
    )
    assert all(row.status == "pending" and row.attempts == 0 for row in updates)
