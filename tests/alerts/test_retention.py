"""Retention by kind of record: each closed case is flagged for review when its rule says,
once, and never deleted.

- a child protection record: the child's date of birth + 25 years (IRMS toolkit), the date
  given on the closing form and sealed; without it, the closing + 25 years and a note;
- an allegation about an adult: 10 years from the allegation (KCSIE part 4), the note saying
  the person's retirement age may be later; one found malicious is flagged at once;
- a filtering report: the school's own period (6 years by default).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select, text

from bot.cases.scheduled import review_retention
from bot.record.events import open_event
from storage.models import Event, Outbox, Report
from tests.support.alerts import DEPUTIES, DSL, HEAD, file_concern
from tests.support.harness import Chat
from tests.support.reports import event_kinds, only_report
from tests.support.walk import STAFF, Answer, start, walk_to_summary

BORN = "14/03/2015"  # the child is 25 on 14 March 2040


async def close(
    bot,
    who: str = DSL,
    *,
    born: str | None = None,
    decision: str = "lado",
    outcome: str = "unsubstantiated",
) -> int:
    """Close the only case through the chat, giving the child's date of birth or skipping it."""
    case = (await only_report(bot)).id
    chat = Chat(bot, who)
    await chat.click(f"case:close:{case}")
    answers: dict[str, Answer] = {
        "decision": (decision,),
        "allegation_outcome": outcome,  # asked of an allegation only
        "child_views": "skip",
        "support": "skip",
        "reporter_told": "yes",
        "outcome": "Spoke to both families; the messages stopped.",
        "reasons": "Repeated but low level; school sanctions were enough.",
        "child_dob": born or "skip",
    }
    asked = await walk_to_summary(chat, answers)
    assert asked[-1] == "child_dob", asked  # the form's last question
    await chat.click("__submit")
    chat.assert_reply(" closed.")  # "Case <reference> closed."
    return case


async def flagged_on(bot, clock, when: datetime) -> int:
    clock.now = when
    return await review_retention(bot.jobs)


def at(year: int, month: int, day: int, clock) -> datetime:
    return clock.now.replace(year=year, month=month, day=day, hour=12)


async def reviews(bot) -> list[Event]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(Event).where(Event.kind == "review_due")))


async def assert_kept(bot) -> None:
    """Nothing is deleted: the report, its answers and its record are all still there."""
    report = await only_report(bot)
    assert report.case_status == "closed" and report.answers_enc is not None
    kinds = await event_kinds(bot, report)
    assert "submitted" in kinds and "closed" in kinds


async def test_a_child_protection_record_is_reviewed_when_the_child_is_25(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    await close(bot, born=BORN, decision="handled_in_school")
    channel.clear()

    assert await flagged_on(bot, clock, at(2040, 3, 13, clock)) == 0
    assert await flagged_on(bot, clock, at(2040, 3, 14, clock)) == 1  # not 2051: the closing + 25
    assert await review_retention(bot.jobs) == 0  # told once

    assert channel.recipients("review") == {DSL, *DEPUTIES}
    (note,) = channel.notices(DSL)
    assert note.text.startswith("Case OS-2026-")
    assert "is due for its retention review: the child is now 25" in note.text
    assert "date of birth + 25 years, IRMS toolkit" in note.text
    assert "Nothing has been deleted" in note.text
    assert "2015" not in note.text  # the date of birth is never in a message
    (event,) = await reviews(bot)
    assert event.detail == {"rule": "child_protection", "after_years": 25}
    await assert_kept(bot)


async def test_the_date_of_birth_is_sealed_never_in_plain_text(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    await close(bot, born=BORN, decision="handled_in_school")
    async with bot.router.sessions() as session:
        closed = await session.scalar(select(Event).where(Event.kind == "closed"))
        assert closed is not None
        assert open_event(bot.cipher, closed)["child_dob"] == "2015-03-14"
        assert "child_dob" not in closed.detail
        # Every column of every table, as the database holds it: no date of birth anywhere.
        for table in ("events", "reports", "conversations", "outbox"):
            rows = (await session.execute(text(f"SELECT * FROM {table}"))).all()  # noqa: S608
            dump = repr(rows)
            assert "2015-03-14" not in dump and "14/03/2015" not in dump, table


async def test_without_a_date_of_birth_it_is_reviewed_25_years_after_closing_with_a_note(
    make_bot, channel, clock
):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    await close(bot, decision="handled_in_school")
    channel.clear()

    assert await flagged_on(bot, clock, at(2051, 11, 23, clock)) == 0
    assert await flagged_on(bot, clock, at(2051, 11, 24, clock)) == 1
    (note,) = channel.notices(DSL)
    assert "is due for its retention review (25 years after it was closed)" in note.text
    assert "No date of birth was recorded when it was closed" in note.text
    (event,) = await reviews(bot)
    assert event.detail == {"rule": "no_birth_date", "after_years": 25}
    await assert_kept(bot)


async def test_the_school_sets_the_child_protection_period(make_bot, clock, school_with):
    bot = await make_bot(school_config=school_with(retention__review_after_years=30))
    await file_concern(bot)
    await close(bot, born=BORN, decision="handled_in_school")
    assert await flagged_on(bot, clock, at(2045, 3, 13, clock)) == 0
    assert await flagged_on(bot, clock, at(2045, 3, 14, clock)) == 1


async def test_an_allegation_is_reviewed_ten_years_on_and_retirement_age_is_asked(
    make_bot, channel, clock
):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who="Tom Brannigan")
    await close(bot, HEAD)  # allegations go to the head
    channel.clear()

    assert await flagged_on(bot, clock, at(2036, 11, 23, clock)) == 0
    assert await flagged_on(bot, clock, at(2036, 11, 24, clock)) == 1
    assert "t.brannigan@example.org" not in channel.recipients("review")
    assert HEAD in channel.recipients("review")
    (note,) = channel.notices(HEAD)
    assert "an allegation about an adult" in note.text
    assert "(10 years from the allegation, KCSIE)" in note.text
    assert "normal retirement age if that is later: the bot cannot know it" in note.text
    (event,) = await reviews(bot)
    assert event.detail == {"rule": "allegation", "after_years": 10}
    await assert_kept(bot)


async def test_an_allegation_with_a_child_is_kept_to_the_childs_25th_if_later(make_bot, clock):
    bot = await make_bot()
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who="Tom Brannigan")
    await close(bot, HEAD, born=BORN)
    assert await flagged_on(bot, clock, at(2040, 3, 13, clock)) == 0  # 2036 + the child's 25th
    assert await flagged_on(bot, clock, at(2040, 3, 14, clock)) == 1


@pytest.mark.parametrize("outcome", ["malicious", "false"])
async def test_a_malicious_allegation_is_flagged_for_removal_at_once(make_bot, channel, outcome):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who="Tom Brannigan")
    await close(bot, HEAD, outcome=outcome)  # the close form's KCSIE outcome
    channel.clear()

    assert await review_retention(bot.jobs) == 1  # at once, not in ten years
    (note,) = channel.notices(HEAD)
    assert "was found malicious or false" in note.text
    assert "removed from the person's personnel records" in note.text
    assert "Nothing has been deleted by the bot" in note.text
    (event,) = await reviews(bot)
    assert event.detail == {"rule": "removal", "after_years": 0}
    await assert_kept(bot)


async def test_an_unfounded_allegation_is_not_flagged_early(make_bot, clock):
    bot = await make_bot()
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who="Tom Brannigan")
    await close(bot, HEAD, outcome="unfounded")
    assert await review_retention(bot.jobs) == 0
    assert await flagged_on(bot, clock, at(2036, 11, 24, clock)) == 1


@pytest.mark.parametrize(("years", "due"), [(None, 2032), (3, 2029)])
async def test_a_filtering_report_is_reviewed_after_the_schools_period(
    make_bot, channel, clock, school_with, years, due
):
    config = school_with(**({"retention__filtering_years": years} if years else {}))
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await file_over_blocking(bot)
    await close(bot, decision="no_further_action")
    channel.clear()

    assert await flagged_on(bot, clock, at(due, 11, 23, clock)) == 0
    assert await flagged_on(bot, clock, at(due, 11, 24, clock)) == 1
    (note,) = channel.notices(DSL)
    expected = f"is due for its retention review ({years or 6} years, the school's period"
    assert note.text.startswith("Filtering report FF-2026-") and expected in note.text
    (event,) = await reviews(bot)
    assert event.detail == {"rule": "filtering", "after_years": years or 6}
    async with bot.router.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Report)) == 1
    await assert_kept(bot)


async def file_over_blocking(bot) -> None:
    chat = Chat(bot, STAFF)
    await start(chat, "filtering")
    place = {
        "connection": "school_wifi",
        "device_room": "Laptop 7, ICT suite",
        "user_account": "login Y5-shared",
        "address": "https://history.example.org/ww2",
        "happened_at": "today 09:40",
    }
    answers = {"needed_for": "Year 6 history research.", "actions_taken": "skip"}
    await walk_to_summary(chat, {"problem": "over_blocked", **place, **answers})
    await chat.click("__submit")


async def test_a_review_queued_before_the_rules_by_kind_is_worded_as_it_was_meant(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    await close(bot, decision="handled_in_school")
    report = await only_report(bot)
    (notice,) = await bot.dispatcher.cards.messages_for(
        Outbox(kind="review", level=0, recipient_email=DSL), report
    )
    assert "(25 years after it was closed)" in notice.text
