"""A drill is in the tamper-evident event log like every report row: `verify-log` finds it as
the log recorded it, and the `drill` flag, which hides a row from every list of real reports,
is bound with it, so turning a real report into a "drill" in the database is found."""

from __future__ import annotations

from sqlalchemy import update

from bot.record.events import verify_log
from storage.models import Report
from tests.support.alerts import DSL, file_concern
from tests.support.harness import Chat
from tests.support.reports import all_reports


async def test_a_drill_leaves_a_log_that_verifies(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    await Chat(bot, DSL).send("drill")
    async with bot.router.sessions() as session:
        check = await verify_log(session)
    assert check.ok, check.reason
    assert check.reports == 2


async def test_a_real_report_flagged_as_a_drill_in_the_database_is_found(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    (real,) = await all_reports(bot)
    async with bot.router.sessions() as session, session.begin():
        await session.execute(update(Report).where(Report.id == real.id).values(drill=True))
    async with bot.router.sessions() as session:
        check = await verify_log(session)
    assert not check.ok
    assert f"report {real.reference} no longer matches the event log" in str(check.reason)
    assert "drill" in str(check.reason)


async def test_a_drill_turned_into_a_real_report_in_the_database_is_found(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    await Chat(bot, DSL).send("drill")
    (drill,) = await all_reports(bot)
    async with bot.router.sessions() as session, session.begin():
        await session.execute(update(Report).where(Report.id == drill.id).values(drill=False))
    async with bot.router.sessions() as session:
        check = await verify_log(session)
    assert not check.ok and "drill" in str(check.reason)
