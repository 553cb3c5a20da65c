"""The governors' summary counts the term's drills apart from its reports: how many were sent
and acknowledged, how fast, how far up the chain, and which channels did not reach someone;
numbers only, never who, and a drill is never one of the reports."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.delivery.messages import Card
from storage.models import Report
from tests.support.alerts import CHAIR, DEPUTIES, DSL, file_concern
from tests.support.harness import Chat
from tests.support.notifiers import FlakyChannel
from tests.support.reports import all_reports

TERM = "Term 2 Nov 2026 to 18 Dec 2026"
TUESDAY = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)  # London is on UTC in November
REFUSED_DEPUTY = sorted(DEPUTIES)[0]


async def test_the_terms_drills_are_counted_apart_from_its_reports_and_name_nobody(make_bot, clock):
    # One deputy's channel refuses every send (as a platform's 403 does): unreachable there.
    channel = FlakyChannel(failures={REFUSED_DEPUTY: ("raise", 99)})
    bot = await make_bot(notifiers={"test": channel})
    clock.now = TUESDAY
    await file_concern(bot)
    dsl = Chat(bot, DSL)
    await dsl.send("drill")
    (drill,) = [r for r in await all_reports(bot) if r.drill]
    await bot.dispatcher.deliver_due()
    clock.advance(minutes=3)
    await dsl.click(f"case:ack:{drill.id}")

    chat = Chat(bot, CHAIR)  # a governor
    await chat.send("governors summary")
    (card,) = [r for r in chat.replies if isinstance(r, Card)]
    fields = {f.label: f.value for f in card.fields}
    assert fields[f"{TERM}: Reports"] == "1 (1 in hours, 0 out of hours)"  # not the drill
    assert "Drill" not in fields[f"{TERM}: Reports by kind"]
    sent = fields[f"{TERM}: Drills (test alerts)"]
    assert sent.startswith("1 sent, 1 acknowledged (median 3 min from the alert)")
    assert "reached the third level" in sent
    assert "Test: 1" in fields[f"{TERM}: Not reached, by channel"]

    shown = " ".join([card.title, card.text or "", *fields, *fields.values()])
    async with bot.router.sessions() as session:
        references = [r for r in await session.scalars(select(Report.reference)) if r]
    for secret in (*references, DSL, REFUSED_DEPUTY, DSL.split("@")[0]):
        assert secret not in shown


async def test_a_term_without_drills_shows_no_drill_lines(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    clock.now = TUESDAY
    await file_concern(bot)
    chat = Chat(bot, DSL)
    await chat.send("governors summary")
    (card,) = [r for r in chat.replies if isinstance(r, Card)]
    assert not [f for f in card.fields if "Drill" in f.label or "reached, by" in f.label]


async def test_a_term_with_a_drill_and_no_report_still_shows_its_drill(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    clock.now = TUESDAY
    await Chat(bot, DSL).send("drill")
    chat = Chat(bot, CHAIR)
    await chat.send("governors summary")
    (card,) = [r for r in chat.replies if isinstance(r, Card)]
    fields = {f.label: f.value for f in card.fields}
    assert fields[f"{TERM}: Reports"] == "0 (0 in hours, 0 out of hours)"
    assert fields[f"{TERM}: Reports by kind"] == "—"
    assert fields[f"{TERM}: Drills (test alerts)"].startswith("1 sent, 0 acknowledged")
