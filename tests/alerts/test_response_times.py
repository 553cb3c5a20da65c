"""The response-time record and `stats`, through the real router, outbox and dispatcher with a
clock the tests move: per term (the example school file lists 2026-27's terms), in and out of
hours, the medians to acknowledge, to the first note or action and to close, and how many cases'
alerts went to the second or third level; numbers only, for the safeguarding team only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.cases.response_times import CaseTimes, duration, group, lines
from bot.cases.scheduled import sweep_alerts
from bot.cases.service import record_action
from bot.delivery.messages import Card, Notice
from bot.school.config import load_school_config
from storage.models import Report
from tests.support.alerts import DSL, HEAD, close_as_dsl, file_concern
from tests.support.harness import Chat
from tests.support.reports import event_kinds
from tests.support.walk import STAFF

TERM = "Term 2 Nov 2026 to 18 Dec 2026"
TUESDAY = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)  # London is on UTC in November


async def _file_at(bot, clock, moment: datetime) -> int:
    """A concern filed at `moment`; its report's id."""
    clock.now = moment
    await file_concern(bot)
    async with bot.router.sessions() as session:
        return max(await session.scalars(select(Report.id)))


async def _stats(bot, email: str = DSL) -> Chat:
    chat = Chat(bot, email)
    await chat.send("stats")
    return chat


async def test_stats_shows_the_medians_in_and_out_of_hours_and_the_escalations(
    make_bot, channel, clock
):
    bot = await make_bot(notifiers={"test": channel})
    dsl = Chat(bot, DSL)

    # In hours: acknowledged after 2 minutes, an action after 30, closed after 3 hours.
    first = await _file_at(bot, clock, TUESDAY)
    clock.now = TUESDAY + timedelta(minutes=2)
    await dsl.click(f"case:ack:{first}")
    async with bot.router.sessions() as session, session.begin():
        case = await session.get(Report, first)
        assert case is not None
        await record_action(
            session,
            bot.jobs.desk,
            report=case,
            email=DSL,
            action="referral",
            details="Referred.",
            done_at="today",
            now=TUESDAY + timedelta(minutes=30),
        )
    await close_as_dsl(bot, first, now=TUESDAY + timedelta(hours=3))

    # In hours: acknowledged after 6 minutes, nothing else yet.
    second_at = TUESDAY + timedelta(hours=4)  # 14:30
    second = await _file_at(bot, clock, second_at)
    clock.now = second_at + timedelta(minutes=6)
    await dsl.click(f"case:ack:{second}")

    # Out of hours (18:00): nobody for 10 minutes, so the second level (the head) is alerted.
    third_at = TUESDAY + timedelta(hours=7, minutes=30)
    third = await _file_at(bot, clock, third_at)
    clock.now = third_at + timedelta(minutes=10)
    await sweep_alerts(bot.jobs)
    await Chat(bot, HEAD).click(f"case:ack:{third}")

    chat = await _stats(bot)
    (card,) = [r for r in chat.replies if isinstance(r, Card)]
    fields = {f.label: f.value for f in card.fields}
    assert fields == {
        f"{TERM}: Cases": "3 (2 in hours, 1 out of hours)",
        f"{TERM}: Median time to acknowledge": "4 min (in hours), 10 min (out of hours)",
        f"{TERM}: Median time to first action": "30 min (in hours), — (out of hours)",
        f"{TERM}: Median time to close": "3 h (in hours), — (out of hours)",
        f"{TERM}: Alerts escalated": "1 reached the second level, 0 the third",
    }
    shown = " ".join([card.title, card.text or "", *fields.values()])
    assert "Referred" not in shown and "Resolved" not in shown  # numbers only
    assert not any(r and r in shown for r in await _references(bot))
    assert chat.question.input == "menu"  # and the menu after it


async def _references(bot) -> list[str | None]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(Report.reference)))


async def test_stats_is_refused_to_staff_and_the_refusal_recorded(make_bot, clock):
    bot = await make_bot()
    await file_concern(bot)
    chat = await _stats(bot, STAFF)
    assert not [r for r in chat.replies if isinstance(r, Card)]
    (refused,) = chat.notices("error")
    assert "Only the DSL" in refused.text
    assert "refused" in await event_kinds(bot)


async def test_stats_with_no_cases_says_so(make_bot):
    bot = await make_bot()
    chat = await _stats(bot, HEAD)
    assert not [r for r in chat.replies if isinstance(r, Card)]
    (notice, *_) = [r for r in chat.replies if isinstance(r, Notice)]
    assert "No cases yet" in notice.text


def _case(start: datetime, ack_minutes: float | None, *, in_hours: bool, level: int = 0):
    return CaseTimes(
        start=start,
        in_hours=in_hours,
        to_acknowledge=None if ack_minutes is None else timedelta(minutes=ack_minutes),
        to_first_action=None,
        to_close=None,
        highest_level=level,
    )


def test_medians_are_grouped_by_term_and_by_year_outside_the_terms(school_with):
    school = load_school_config(school_with())
    half_term = datetime(2026, 10, 28, 10, 0, tzinfo=UTC)
    november = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    periods = group(
        school,
        [
            _case(november, 2, in_hours=True),
            _case(november, 4, in_hours=True),
            _case(november, 9, in_hours=True, level=2),
            _case(november, None, in_hours=False, level=1),
            _case(half_term, 150, in_hours=False),
        ],
    )
    assert [p.label for p in periods] == ["Year 2026-27", TERM]  # oldest first
    by_label = {p.label: dict(lines(p)) for p in periods}
    assert by_label[TERM]["Median time to acknowledge"] == "4 min (in hours), — (out of hours)"
    assert by_label[TERM]["Alerts escalated"] == "2 reached the second level, 1 the third"
    assert by_label["Year 2026-27"]["Median time to acknowledge"] == (
        "— (in hours), 2 h 30 min (out of hours)"
    )
    # Without terms in the school file: one period per academic year.
    plain = load_school_config(school_with(calendar__terms=[]))
    spring = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
    assert [
        p.label
        for p in group(plain, [_case(november, 1, in_hours=True), _case(spring, 3, in_hours=True)])
    ] == ["Year 2026-27"]
    assert group(plain, [_case(november, 1, in_hours=True)])[0].median(
        "to_acknowledge", in_hours=True
    ) == timedelta(minutes=1)


def test_durations_in_words():
    assert duration(None) == "—"
    assert duration(timedelta(seconds=20)) == "under a minute"
    assert duration(timedelta(minutes=4, seconds=20)) == "4 min"
    assert duration(timedelta(hours=2)) == "2 h"
    assert duration(timedelta(days=3, hours=1)) == "3 days 1 h"
