"""What a batch of the outbox reads: each report, its closures and its cover once, whatever the
number of people it goes to; and its messages are made after the claim has committed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.ext.asyncio import async_object_session

from bot.delivery.messages import Card
from tests.support.alerts import TEAM, file_concern
from tests.support.rota import DANIEL_ON_TUESDAY, DSL
from tests.support.statements import watching


@contextmanager
def statements(bot) -> Iterator[Counter[str]]:
    """Count the statements the bot's engine runs meanwhile, as 'SELECT <first table>',
    'UPDATE <table>', or their first word."""
    seen: Counter[str] = Counter()

    def count(statement: str, _context: Any) -> None:
        words = statement.split()
        if words[0] == "SELECT":
            words = ["SELECT", words[words.index("FROM") + 1]]
        seen[" ".join(words[:2])] += 1

    with watching(bot, count):
        yield seen


async def test_a_batch_reads_a_case_once_whatever_the_number_of_recipients(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)

    with statements(bot) as seen:
        await bot.dispatcher.deliver_due()

    alerts = [d for d in channel.deliveries if d.kind == "alert"]
    assert {d.recipient_email for d in alerts} == TEAM
    assert all(isinstance(d.messages[0], Card) for d in alerts)
    # Three people on each of two channels, and the reporter's receipt: one batch, read once.
    assert seen["SELECT reports"] == 1, seen
    assert seen["SELECT school_closures"] == 1, seen
    assert seen["SELECT cover_requests"] == 0, seen  # a school without a rota: no cover
    # Claimed in one statement, recorded in one per outcome (sent here; the web chat's wait).
    assert seen["UPDATE outbox"] <= 3, seen


async def test_with_a_rota_the_cover_is_read_once_too(make_bot, channel, school_with):
    bot = await make_bot(
        notifiers={"test": channel}, school_config=school_with(rota=DANIEL_ON_TUESDAY)
    )
    await file_concern(bot)

    with statements(bot) as seen:
        await bot.dispatcher.deliver_due()

    assert {d.recipient_email for d in channel.deliveries if d.kind == "alert"} >= TEAM
    assert seen["SELECT school_closures"] == 1, seen
    assert seen["SELECT cover_requests"] == 1, seen
    (card, *_) = channel.cards(DSL)
    assert {f.label: f.value for f in card.fields}["On duty"] == "Daniel Osei"


class Watching:
    """The bot's own composer, noting whether the report's session was in a transaction when
    each message was made."""

    def __init__(self, words: Any, held: list[bool]) -> None:
        self.words, self.held = words, held

    async def prepare(self, session: Any, rows: Any, reports: Any) -> Watching:
        return Watching(await self.words.prepare(session, rows, reports), self.held)

    async def messages_for(self, row: Any, report: Any, *, linked: Any = None) -> Any:
        session = async_object_session(report) if report is not None else None
        self.held.append(session is not None and session.in_transaction())
        return await self.words.messages_for(row, report, linked=linked)


async def test_the_messages_are_made_after_the_claim_commits(make_bot, channel):
    """Made holding no transaction: on SQLite the one connection is free for the next turn
    meanwhile (the rows are this dispatcher's by their lease)."""
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    held: list[bool] = []
    bot.dispatcher.cards = Watching(bot.dispatcher.cards, held)

    await bot.dispatcher.deliver_due()

    assert {d.recipient_email for d in channel.deliveries if d.kind == "alert"} == TEAM
    assert held and not any(held), held


async def test_filing_in_a_school_without_a_rota_reads_no_closures_or_cover(make_bot, channel):
    # Who is on duty goes by a rota; without one, closures and cover change no plan.
    bot = await make_bot(notifiers={"test": channel})
    with statements(bot) as seen:
        await file_concern(bot)
    assert seen["SELECT school_closures"] == 0, seen
    assert seen["SELECT cover_requests"] == 0, seen
    await bot.dispatcher.deliver_due()
    assert {d.recipient_email for d in channel.deliveries if d.kind == "alert"} == TEAM


async def test_filing_in_a_school_with_a_rota_reads_both(make_bot, channel, school_with):
    bot = await make_bot(
        notifiers={"test": channel}, school_config=school_with(rota=DANIEL_ON_TUESDAY)
    )
    with statements(bot) as seen:
        await file_concern(bot)
    assert seen["SELECT school_closures"] >= 1, seen
    assert seen["SELECT cover_requests"] >= 1, seen
