"""A drill is no report: with a drill and a real concern in the database, every list, count and
export of real reports sees the concern alone (bot/cases/drills.py says why a drill is a
report row, and that this is its price)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update

from bot.cases.nothing_done import KIND as NOTHING_DONE
from bot.cases.response_times import case_times
from bot.cases.retention import flag_due_for_review
from bot.cases.scheduled import sweep_alerts
from bot.cases.use_cases import CaseUseCases, Refused
from bot.delivery.messages import Card
from bot.reports.links import link_to_source
from bot.reports.menu import OFFER
from bot.server import create_app
from storage.models import Event, Report
from tests.support.alerts import DSL, HEAD, file_concern, outbox
from tests.support.harness import Chat
from tests.support.reports import all_reports
from tests.support.walk import STAFF
from tests.test_metrics import scrape, total


async def a_drill_and_a_concern(bot) -> tuple[Report, Report]:
    """A real concern from staff and a drill from the DSL, both alerted: (real, drill)."""
    await file_concern(bot)
    await Chat(bot, DSL).send("drill")
    await bot.dispatcher.deliver_due()
    drills = {r.drill: r for r in await all_reports(bot)}
    return drills[False], drills[True]


def shown(replies: list[Any]) -> str:
    return " ".join(str(r) for r in replies)


async def test_the_case_list_and_the_waiting_count_see_the_real_case_only(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    real, drill = await a_drill_and_a_concern(bot)
    dsl = Chat(bot, DSL)
    replies = shown(await dsl.send("cases"))
    assert "Open cases (1)" in replies and str(real.reference) in replies
    assert str(drill.reference) not in replies
    async with bot.router.sessions() as session:
        assert await bot.router.cases.waiting_count(session, DSL) == 1


async def test_my_reports_lists_no_drill(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    _real, _drill = await a_drill_and_a_concern(bot)
    replies = shown(await Chat(bot, DSL).send("my reports"))  # the DSL sent the drill
    assert "You have not sent any reports yet." in replies and "DRILL" not in replies


async def test_response_times_count_the_real_case_only(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    real, _drill = await a_drill_and_a_concern(bot)
    async with bot.router.sessions() as session:
        times = await case_times(session, bot.school)
    assert len(times) == 1 and times[0].start == real.alerted_at


async def test_metrics_count_no_drill_nor_its_escalation_nor_its_acknowledgement(
    make_bot, channel, clock
):
    bot = await make_bot(notifiers={"test": channel})
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        real, drill = await a_drill_and_a_concern(bot)
        await Chat(bot, DSL).click(f"case:ack:{real.id}")
        clock.advance(minutes=30)  # the drill, unacknowledged, escalates
        await sweep_alerts(bot.jobs)
        await Chat(bot, DSL).click(f"case:ack:{drill.id}")
        samples = await scrape(client)
    assert total(samples, "osbot_reports") == 1
    assert total(samples, "osbot_reports", kind="concern", status="submitted") == 1
    assert total(samples, "osbot_escalations_total") == 0
    assert total(samples, "osbot_acknowledgement_seconds_count") == 1
    assert total(samples, "osbot_acknowledgement_seconds_sum") == 0


async def test_nothing_done_reminds_about_the_real_case_only(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    real, drill = await a_drill_and_a_concern(bot)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:ack:{real.id}")
    await dsl.click(f"case:ack:{drill.id}")
    clock.advance(days=1, hours=2)  # Wednesday 12:30: past the next school day's noon
    await sweep_alerts(bot.jobs)
    reminded = {r.report_id for r in await outbox(bot) if r.kind == NOTHING_DONE}
    assert reminded == {real.id}


async def test_retention_reviews_only_real_cases(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    real, drill = await a_drill_and_a_concern(bot)
    long_ago = clock.now - timedelta(days=365 * 30)
    async with bot.router.sessions() as session, session.begin():
        # A drill is never closed in chat; a closed one (a hand-edited row) is still no case.
        await session.execute(
            update(Report)
            .where(Report.id.in_([real.id, drill.id]))
            .values(case_status="closed", closed_at=long_ago)
        )
    async with bot.router.sessions() as session, session.begin():
        await flag_due_for_review(session, bot.router.cases.desk, now=clock.now)
    async with bot.router.sessions() as session:
        flagged = set(
            await session.scalars(select(Event.report_id).where(Event.kind == "review_due"))
        )
    assert flagged == {real.id}


async def test_a_drill_has_no_chronology_to_view_or_export(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    _real, drill = await a_drill_and_a_concern(bot)
    dsl = Chat(bot, DSL)
    replies = await dsl.click(f"case:export:{drill.id}")
    assert "That case could not be found" in shown(replies)
    assert not [r for r in replies if isinstance(r, Card) and r.attachments]
    cases = CaseUseCases(bot.router.cases.desk, bot.router.cases.cards)
    async with bot.router.sessions() as session, session.begin():
        for key in (drill.id, str(drill.reference)):
            made = await cases.export_chronology(
                session, case_id=key, actor=DSL, channel=None, fmt="csv", now=bot.router.clock()
            )
            assert made == Refused("no_such_case")
        assert "exported" not in {e.kind for e in await session.scalars(select(Event))}


async def test_a_drills_reference_is_no_report_to_follow_up(make_bot, channel):
    """The offer button of a report names its reference: a drill's, even its starter's, is
    no report of theirs."""
    bot = await make_bot(notifiers={"test": channel})
    _real, drill = await a_drill_and_a_concern(bot)
    replies = await Chat(bot, DSL).click(f"{OFFER}{drill.reference}", token=None)
    assert "That button was for someone else's report" in shown(replies)
    staff = shown(await Chat(bot, STAFF).send("my reports"))
    assert "DRILL" not in staff


async def test_no_report_is_linked_to_a_drill(make_bot, channel):
    """A report started from an offer names the reference it follows up: never a drill's."""
    bot = await make_bot(notifiers={"test": channel})
    real, drill = await a_drill_and_a_concern(bot)
    async with bot.router.sessions() as session, session.begin():
        mine = await session.get(Report, real.id)
        assert mine is not None
        mine.reporter_email = DSL  # as if the drill's starter had filed it
        assert await link_to_source(session, mine, drill.reference) is None
        assert mine.linked_report_id is None


async def test_the_low_level_log_lists_no_drill(make_bot, channel):
    """A drill is about nobody; one whose row was edited by hand to look like a low-level
    concern is still no concern of the log's."""
    bot = await make_bot(notifiers={"test": channel})
    _real, drill = await a_drill_and_a_concern(bot)
    async with bot.router.sessions() as session, session.begin():
        await session.execute(
            update(Report)
            .where(Report.id == drill.id)
            .values(allegation=True, allegation_kind="low_level")
        )
    replies = shown(await Chat(bot, HEAD).send("low-level concerns"))
    assert "There are no low-level concerns for you to see." in replies
    assert "DRILL" not in replies


async def test_nobody_is_sent_a_receipt_or_a_seen_notice_for_a_drill(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    _real, drill = await a_drill_and_a_concern(bot)
    await Chat(bot, DSL).click(f"case:ack:{drill.id}")
    kinds = {r.kind for r in await outbox(bot) if r.report_id == drill.id}
    assert kinds == {"alert", "update"}
