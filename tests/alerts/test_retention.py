"""Retention: a closed case is flagged for review when due, once, and never deleted."""

from __future__ import annotations

from bot.cases.scheduled import review_retention
from tests.support.alerts import DEPUTIES, DSL, file_concern
from tests.support.harness import Chat
from tests.support.reports import event_kinds, only_report


async def _closed_case(bot) -> int:
    await file_concern(bot)
    case = (await only_report(bot)).id
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:close:{case}")
    await dsl.tick("handled_in_school")
    await dsl.click("__skip")
    await dsl.click("__skip")
    await dsl.click("yes")
    await dsl.send("Spoke to both families; the messages stopped.")
    await dsl.send("Repeated but low level; school sanctions were enough.")
    await dsl.click("__submit")
    return case


async def test_a_closed_case_is_flagged_for_review_when_due_and_kept(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    await _closed_case(bot)
    channel.clear()

    clock.advance(days=365 * 25 - 30)
    assert await review_retention(bot.jobs) == 0
    clock.advance(days=40)
    assert await review_retention(bot.jobs) == 1
    assert await review_retention(bot.jobs) == 0  # told once

    assert channel.recipients("review") == {DSL, *DEPUTIES}
    (note,) = channel.notices(DSL)
    assert "due for its retention review (25 years)" in note.text
    assert "Nothing has been deleted" in note.text
    report = await only_report(bot)  # still there, still closed
    assert report.case_status == "closed"
    assert (await event_kinds(bot, report)).count("review_due") == 1


async def test_the_review_period_comes_from_the_school_config(
    make_bot, channel, clock, school_with
):
    bot = await make_bot(
        notifiers={"test": channel}, school_config=school_with(retention__review_after_years=6)
    )
    await _closed_case(bot)
    clock.advance(days=365 * 6 + 2, hours=1)
    assert await review_retention(bot.jobs) == 1
