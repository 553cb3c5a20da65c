"""The rota through the real router, outbox and dispatcher, with a clock the tests move: the
person on duty is added to the first level, out of hours the out-of-hours plan's people are
alerted first, an allegation never reaches the person it names, and `on call` in chat."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.cases.scheduled import sweep_alerts
from bot.chat.scheduled import purge_drafts
from bot.delivery.messages import Card, Notice
from tests.support.alerts import CHAIR, DEPUTIES, HEAD, TEAM, file_concern, outbox
from tests.support.harness import Chat
from tests.support.reports import event_kinds
from tests.support.rota import DANIEL, DANIEL_ON_TUESDAY, DSL, PETRA
from tests.support.walk import CONCERN_TAIL, STAFF, ChatAsking, start, walk, walk_to_summary

# Only the DSL at once, the deputies after 10 minutes, the head after 20: so that whom the rota
# adds to the first level shows.
DSL_FIRST: dict[str, Any] = {
    "levels": [
        {"after_minutes": 0, "roles": ["dsl"]},
        {"after_minutes": 10, "roles": ["deputy_dsl"]},
        {"after_minutes": 20, "roles": ["headteacher"]},
    ],
    "repeat_every_minutes": 15,
}
UNFINISHED = {
    "immediate_danger": "no",
    "category": "commerce",
    "commerce_kind": "scam",
    "about_adult": "no",
    "pupils": "AB (Year 5)",
}
EVENING = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)  # the FakeClock's Tuesday, 18:00 London


async def _alerted(bot, level: int) -> set[str]:
    return {r.recipient_email for r in await outbox(bot) if r.kind == "alert" and r.level == level}


async def test_the_person_on_duty_joins_the_first_level(make_bot, channel, school_with):
    config = school_with(rota=DANIEL_ON_TUESDAY, alerts__normal=DSL_FIRST)
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await file_concern(bot)
    assert await _alerted(bot, 0) == {DANIEL, DSL}  # the levels' DSL is still there
    await bot.dispatcher.deliver_due()
    (card,) = channel.cards(DSL)
    assert {f.label: f.value for f in card.fields}["On duty"] == "Daniel Osei"


async def test_with_the_usual_levels_the_rota_alerts_nobody_fewer(
    make_bot, channel, clock, school_with
):
    bot = await make_bot(
        notifiers={"test": channel}, school_config=school_with(rota=DANIEL_ON_TUESDAY)
    )
    await file_concern(bot)
    assert await _alerted(bot, 0) == TEAM
    clock.advance(minutes=10)
    await sweep_alerts(bot.jobs)
    assert await _alerted(bot, 1) == {HEAD}


async def test_out_of_hours_the_plan_s_people_come_first_and_the_rest_follow(
    make_bot, channel, clock, school_with
):
    clock.now = EVENING
    bot = await make_bot(
        notifiers={"test": channel}, school_config=school_with(rota=DANIEL_ON_TUESDAY)
    )
    await file_concern(bot)
    assert await _alerted(bot, 0) == {HEAD, DSL}  # not Daniel, though it is his day
    await bot.dispatcher.deliver_due()
    (card,) = channel.cards(HEAD)
    fields = {f.label: f.value for f in card.fields}
    assert fields["On duty (out of hours)"] == "Martin Fenwick, Alice Hartley"
    assert "Sent outside school hours" in (card.text or "")  # with the local authority's numbers
    clock.advance(minutes=9, seconds=59)
    await sweep_alerts(bot.jobs)
    assert await _alerted(bot, 1) == set()
    clock.advance(seconds=1)  # the second level: the head, and the rest of the first
    await sweep_alerts(bot.jobs)
    assert await _alerted(bot, 1) == {HEAD, *DEPUTIES}


async def test_a_report_started_in_hours_and_sent_after_them_goes_out_of_hours(
    make_bot, channel, clock, school_with
):
    clock.now = datetime(2026, 11, 24, 16, 20, tzinfo=UTC)  # ten minutes before the end
    bot = await make_bot(
        notifiers={"test": channel}, school_config=school_with(rota=DANIEL_ON_TUESDAY)
    )
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {"immediate_danger": "no", "category": "commerce", "commerce_kind": "scam"}
    await walk_to_summary(chat, {**answers, **CONCERN_TAIL})
    clock.advance(minutes=15)  # 16:35: sent after school hours
    await chat.click("__submit")
    assert await _alerted(bot, 0) == {HEAD, DSL}
    await bot.dispatcher.deliver_due()
    (card,) = channel.cards(DSL)
    assert {f.label: f.value for f in card.fields}["On duty (out of hours)"]
    assert "Sent outside school hours" in (card.text or "")


@pytest.mark.parametrize("evening", [False, True])
async def test_without_a_rota_the_recipients_are_exactly_as_before(
    make_bot, channel, clock, evening
):
    if evening:
        clock.now = EVENING
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    assert await _alerted(bot, 0) == TEAM
    await bot.dispatcher.deliver_due()
    (card,) = channel.cards(DSL)
    assert not [f for f in card.fields if f.label.startswith("On duty")]
    clock.advance(minutes=10)
    await sweep_alerts(bot.jobs)
    assert await _alerted(bot, 1) == {HEAD}


@pytest.mark.parametrize(
    ("evening", "named", "name"),
    [(False, DANIEL, "Daniel Osei"), (True, DSL, "Alice Hartley")],
)
async def test_an_allegation_never_reaches_the_person_on_duty_it_names(
    make_bot, channel, clock, school_with, evening, named, name
):
    if evening:
        clock.now = EVENING  # the DSL is in the out-of-hours plan
    config = school_with(rota=DANIEL_ON_TUESDAY, alerts__normal=DSL_FIRST)
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who=name)
    for _ in range(6):  # every level of the escalation and its repeats
        await sweep_alerts(bot.jobs)
        await bot.dispatcher.deliver_due()
        clock.advance(minutes=30)
    assert named not in {r.recipient_email for r in await outbox(bot)}
    assert channel.to(named) == []
    # The allegation's route (the head, then the chair): the rota changes nothing of it.
    assert await _alerted(bot, 0) == {HEAD}
    assert channel.recipients() == {HEAD, CHAIR}
    (card, *_) = channel.cards(HEAD)
    assert not [f for f in card.fields if f.label.startswith("On duty")]


async def test_on_call_is_answered_for_the_safeguarding_team(make_bot, school_with):
    bot = await make_bot(school_config=school_with(rota=DANIEL_ON_TUESDAY))
    for email in (DSL, PETRA, HEAD):
        chat = Chat(bot, email)
        await chat.send("on call")
        (card,) = [r for r in chat.replies if isinstance(r, Card)]
        fields = {f.label: f.value for f in card.fields}
        assert fields["Now"] == "Daniel Osei (school hours)"
        assert fields["Today (Tue 24 Nov)"] == (
            "Daniel Osei (school hours); out of hours: Martin Fenwick, Alice Hartley"
        )
        assert fields["Next week: Mon 30 Nov"].startswith("Alice Hartley (school hours)")
        assert chat.question.input == "menu"  # and the menu after it


async def test_on_call_is_refused_to_staff_and_the_refusal_recorded(make_bot, school_with):
    bot = await make_bot(school_config=school_with(rota=DANIEL_ON_TUESDAY))
    chat = Chat(bot, STAFF)
    await chat.send("on call")
    assert not [r for r in chat.replies if isinstance(r, Card)]
    (refused,) = chat.notices("error")
    assert "Only the DSL" in refused.text
    assert "Daniel" not in " ".join(chat.texts)
    assert "refused" in await event_kinds(bot)


async def test_on_call_without_a_rota_says_how_alerts_go(make_bot):
    bot = await make_bot()
    chat = Chat(bot, DSL)
    await chat.send("on call")
    (notice, *_) = [r for r in chat.replies if isinstance(r, Notice)]
    assert "no rota" in notice.text


async def test_a_school_with_a_rota_still_tells_the_team_of_an_unfinished_report(
    make_bot, channel, clock, school_with
):
    # A draft is not a report yet: it was never alerted, so no rota moment applies to it and
    # the school's levels are used as written (a rota must never stop the notice).
    bot = await make_bot(
        notifiers={"test": channel}, school_config=school_with(rota=DANIEL_ON_TUESDAY)
    )
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk(ChatAsking(chat), UNFINISHED, until="what_happened")

    clock.advance(hours=73)  # past the 72 hours a draft is kept untouched
    assert await purge_drafts(bot.jobs) == 0  # told, not purged
    told = {d.recipient_email for d in channel.deliveries if d.kind == "draft_notice"}
    assert told == {DSL, *DEPUTIES}


async def test_a_closure_recorded_in_chat_puts_the_rota_out_of_hours(
    make_bot, channel, clock, school_with
):
    # A snow day recorded by the DSL at 08:00: a report at 10:30 that day goes to the
    # out-of-hours plan's people first, and the card names them as on duty out of hours, as
    # its out-of-hours lines say (the rota and the card read the same closures).
    bot = await make_bot(
        notifiers={"test": channel}, school_config=school_with(rota=DANIEL_ON_TUESDAY)
    )
    await Chat(bot, DSL).send("closure today snow")
    await file_concern(bot)
    assert await _alerted(bot, 0) == {HEAD, DSL}  # not Daniel, though it is his day
    await bot.dispatcher.deliver_due()
    (card,) = channel.cards(HEAD)
    fields = {f.label: f.value for f in card.fields}
    assert fields["On duty (out of hours)"] == "Martin Fenwick, Alice Hartley"
    assert "Sent outside school hours" in (card.text or "")
