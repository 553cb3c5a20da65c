"""Cover through the real router, outbox, dispatcher and sweep, with a clock the tests move: a
cover accepted moves the first contact for exactly its range, the first to accept wins, nobody
accepting tells the head once, and nobody but the DSL and deputies can ask or accept."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.cases import cover
from bot.cases.cover import BUTTON
from bot.cases.scheduled import sweep_alerts
from bot.delivery.messages import Card, Notice
from bot.delivery.notifier import Delivery
from storage.models import CoverRequest, Event, Outbox, Report
from tests.support.alerts import file_concern, outbox
from tests.support.harness import Chat
from tests.support.notifiers import RecordingChannel
from tests.support.reports import event_kinds
from tests.support.rota import DANIEL, DANIEL_ON_TUESDAY, DSL, HEAD, PETRA
from tests.support.walk import STAFF

# Only the DSL at once, then the deputies, then the head: whom the rota adds to the first level
# shows.
DSL_FIRST: dict[str, Any] = {
    "levels": [
        {"after_minutes": 0, "roles": ["dsl"]},
        {"after_minutes": 10, "roles": ["deputy_dsl"]},
        {"after_minutes": 20, "roles": ["headteacher"]},
    ],
    "repeat_every_minutes": 15,
}
ACCEPT = f"{BUTTON}1"


def _london(hour: int, minute: int = 0, second: int = 0, day: int = 24) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)  # UTC is London in November


async def _bot(make_bot, channel, school_with, **rota: Any):
    config = school_with(rota={**DANIEL_ON_TUESDAY, **rota}, alerts__normal=DSL_FIRST)
    return await make_bot(notifiers={"test": channel}, school_config=config)


def _said(replies) -> str:
    return " ".join(m.text for m in replies if isinstance(m, Notice))


async def _first_level_of_newest(bot) -> set[str]:
    async with bot.router.sessions() as session:
        newest = await session.scalar(select(Report.id).order_by(Report.id.desc()).limit(1))
    rows = await outbox(bot)
    return {r.recipient_email for r in rows if r.report_id == newest and r.kind == "alert"}


async def _events(bot, kind: str) -> list[Event]:
    async with bot.router.sessions() as session:
        return list(
            await session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id))
        )


async def test_accepted_cover_moves_the_first_contact_for_exactly_its_range(
    make_bot, channel, clock, school_with
):
    bot = await _bot(make_bot, channel, school_with)
    asked = await Chat(bot, DANIEL).send("cover me today 13:00-16:00")
    assert "Asked 2 colleague(s) to cover Tue 24 Nov 13:00 to 16:00" in _said(asked)
    await bot.dispatcher.deliver_due()
    for colleague in (DSL, PETRA):
        (card,) = channel.cards(colleague)
        assert card.title == "Cover asked by Daniel Osei"
        assert [a.value for a in card.actions] == [ACCEPT]
    assert channel.cards(DANIEL) == [] and channel.cards(HEAD) == []

    took = await Chat(bot, PETRA).click(ACCEPT, token=None)
    assert "you are first contact Tue 24 Nov 13:00 to 16:00, covering for Daniel Osei" in (
        _said(took)
    )
    await bot.dispatcher.deliver_due()
    told = " ".join(n.text for n in channel.notices(DANIEL))
    assert "Petra Lindqvist accepted your cover request" in told

    expected = {
        _london(12, 59, 59): {DANIEL, DSL},  # the second before: the rota's
        _london(13): {PETRA, DSL},  # its first second
        _london(15, 59, 59): {PETRA, DSL},  # its last second
        _london(16): {DANIEL, DSL},  # its end: the rota's again
    }
    for moment, first_level in expected.items():
        clock.now = moment
        await file_concern(bot)
        assert await _first_level_of_newest(bot) == first_level, moment
    await bot.dispatcher.deliver_due()
    on_duty = [
        {f.label: f.value for f in card.fields}.get("On duty") for card in channel.cards(DSL)
    ]
    assert on_duty[-4:] == ["Daniel Osei", "Petra Lindqvist", "Petra Lindqvist", "Daniel Osei"]

    clock.now = _london(13, 30)
    (rota,) = [m for m in await Chat(bot, HEAD).send("on call") if isinstance(m, Card)]
    lines = {f.label: f.value for f in rota.fields}
    assert lines["Now"] == "Petra Lindqvist (school hours)"
    assert "cover: Petra Lindqvist Tue 24 Nov 13:00 to 16:00" in lines["Today (Tue 24 Nov)"]
    kinds = await event_kinds(bot)
    assert kinds.count("cover_requested") == kinds.count("cover_accepted") == 1


async def test_out_of_hours_the_acceptor_stands_in_for_whoever_asked(
    make_bot, channel, clock, school_with
):
    bot = await _bot(make_bot, channel, school_with)
    await Chat(bot, DSL).send("cover me today")  # the DSL is on the out-of-hours plan
    await Chat(bot, DANIEL).click(ACCEPT, token=None)
    clock.now = _london(18)
    await file_concern(bot)
    assert await _first_level_of_newest(bot) == {HEAD, DANIEL}
    clock.now = _london(18, day=25)  # the next evening: the plan as written
    await file_concern(bot)
    assert await _first_level_of_newest(bot) == {HEAD, DSL}


async def test_the_first_to_accept_wins_and_later_clicks_change_nothing(
    make_bot, channel, clock, school_with
):
    bot = await _bot(make_bot, channel, school_with)
    await Chat(bot, DANIEL).send("cover me tomorrow")
    petra, alice = Chat(bot, PETRA), Chat(bot, DSL)
    first = await petra.click(ACCEPT, token=None)
    assert "Thank you" in _said(first)
    clock.advance(seconds=1)
    again = await petra.click(ACCEPT, token=None)  # a double click
    assert "You have accepted this cover already" in _said(again)
    second = await alice.click(ACCEPT, token=None)  # a second acceptor
    assert "Petra Lindqvist has already accepted this cover (Wed 25 Nov (all day))" in (
        _said(second)
    )
    assert "Nothing was changed" in _said(second)
    async with bot.router.sessions() as session:
        (row,) = await session.scalars(select(CoverRequest))
    assert (row.status, row.accepted_by) == ("accepted", PETRA)
    assert len(await _events(bot, "cover_accepted")) == 1
    taken = [(r.recipient_email, r.channel) for r in await outbox(bot) if r.kind == "cover_taken"]
    assert taken == [(DANIEL, channel) for channel in bot.router.desk.channels]  # one per channel


async def test_two_accepting_at_once_make_one_acceptance(make_bot, channel, school_with):
    bot = await _bot(make_bot, channel, school_with)
    await Chat(bot, DANIEL).send("cover me tomorrow")
    answers = await asyncio.gather(
        Chat(bot, PETRA).click(ACCEPT, token=None), Chat(bot, DSL).click(ACCEPT, token=None)
    )
    said = [_said(replies) for replies in answers]
    assert sum("Thank you" in text for text in said) == 1, said
    assert sum("has already accepted" in text for text in said) == 1, said
    assert len(await _events(bot, "cover_accepted")) == 1


async def test_nobody_accepting_tells_the_head_once(make_bot, channel, clock, school_with):
    bot = await _bot(make_bot, channel, school_with, cover_wait_minutes=30)
    asked = await Chat(bot, DANIEL).send("cover me 2026-12-08 to 2026-12-10")
    assert "within 30 minutes" in _said(asked)
    clock.advance(minutes=29, seconds=59)
    await sweep_alerts(bot.jobs)
    assert [r for r in await outbox(bot) if r.kind == "cover_head"] == []
    clock.advance(seconds=1)
    await sweep_alerts(bot.jobs)
    clock.advance(minutes=45)
    await sweep_alerts(bot.jobs)
    head_rows = [
        (r.recipient_email, r.channel) for r in await outbox(bot) if r.kind == "cover_head"
    ]
    assert head_rows == [(HEAD, channel) for channel in bot.router.desk.channels]  # once each
    (card,) = channel.cards(HEAD)
    assert card.title == "No cover for Daniel Osei"
    assert "Tue 8 Dec to Thu 10 Dec (all day) within 30 minutes" in (card.text or "")
    told = " ".join(n.text for n in channel.notices(DANIEL))
    assert "the headteacher has been told" in told
    kinds = await event_kinds(bot)
    assert kinds.count("cover_expired") == kinds.count("cover_head_told") == 1

    late = await Chat(bot, PETRA).click(ACCEPT, token=None)  # an old button, after it expired
    assert "Nobody accepted this cover request in time" in _said(late)
    assert await _events(bot, "cover_accepted") == []
    clock.now = _london(10, day=9)
    await file_concern(bot)
    assert await _first_level_of_newest(bot) == {DSL}  # Wednesday: the DSL's own day


async def test_staff_and_the_head_cannot_ask_and_staff_cannot_accept(
    make_bot, channel, school_with
):
    bot = await _bot(make_bot, channel, school_with)
    for who in (STAFF, HEAD):
        refused = await Chat(bot, who).send("cover me tomorrow")
        assert "Only the DSL and the deputy DSLs can ask for cover" in _said(refused)
    await Chat(bot, DANIEL).send("cover me tomorrow")
    clicked = await Chat(bot, STAFF).click(ACCEPT, token=None)
    assert "Only the DSL and the deputy DSLs" in _said(clicked)
    async with bot.router.sessions() as session:
        (row,) = await session.scalars(select(CoverRequest))
        refusals = list(await session.scalars(select(Event).where(Event.kind == "refused")))
    assert row.status == "asked"
    actions = sorted((e.actor_email, (e.detail or {}).get("action")) for e in refusals)
    assert actions == [
        (HEAD, "cover_request"),
        (STAFF, "cover_accept"),
        (STAFF, "cover_request"),
    ]


async def test_an_unclear_range_gets_an_example_and_nothing_is_asked(
    make_bot, channel, school_with
):
    bot = await _bot(make_bot, channel, school_with)
    daniel = Chat(bot, DANIEL)
    for typed in ("cover me", "cover me soonish", "cover me today 13:00", "cover me 16:00-13:00"):
        assert "cover me today 13:00-16:00" in _said(await daniel.send(typed)), typed
    assert "passed" in _said(await daniel.send("cover me 2026-11-20"))
    assert "up to 28 days" in _said(await daniel.send("cover me 2026-12-01 to 2027-02-01"))
    assert await outbox(bot) == []
    own = await daniel.click(ACCEPT, token=None)
    assert "no longer there" in _said(own)


async def test_cancelled_cover_ends_now_and_its_acceptor_is_told(
    make_bot, channel, clock, school_with
):
    bot = await _bot(make_bot, channel, school_with)
    daniel = Chat(bot, DANIEL)
    await daniel.send("cover me today 11:00-16:00")
    await Chat(bot, PETRA).click(ACCEPT, token=None)
    clock.now = _london(11, 30)
    await file_concern(bot)
    assert await _first_level_of_newest(bot) == {PETRA, DSL}
    clock.now = _london(12)
    assert "Cancelled 1 cover request" in _said(await daniel.send("cover cancel"))
    await file_concern(bot)
    assert await _first_level_of_newest(bot) == {DANIEL, DSL}
    await bot.dispatcher.deliver_due()
    told = " ".join(n.text for n in channel.notices(PETRA))
    assert "Daniel Osei cancelled the cover you accepted" in told
    escalated_plan = [r for r in await outbox(bot) if r.kind == "alert" and r.level == 0]
    assert {r.recipient_email for r in escalated_plan if r.report_id == 1} == {PETRA, DSL}
    assert "no cover requests" in _said(await daniel.send("cover cancel"))


async def test_without_a_rota_there_is_nothing_to_cover(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    assert "no rota" in _said(await Chat(bot, DANIEL).send("cover me tomorrow"))
    async with bot.router.sessions() as session:
        assert list(await session.scalars(select(Outbox))) == []


@dataclass
class RefusingAsks(RecordingChannel):
    """A platform that refuses the cover asks (and only them) until told not to."""

    refusing: bool = True

    async def deliver(self, delivery: Delivery) -> str | None:
        if delivery.kind == cover.ASK and self.refusing:
            raise ConnectionError("the platform refused the message")
        return await super().deliver(delivery)


async def test_a_refused_cover_ask_stays_pending_then_goes_once(make_bot, clock, school_with):
    """Rules of trust: an ask the platform refuses is not taken as asked; it goes, once, when
    the platform accepts, and its Accept still works."""
    channel = RefusingAsks()
    bot = await _bot(make_bot, channel, school_with)
    await Chat(bot, DANIEL).send("cover me today 13:00-16:00")
    await bot.dispatcher.deliver_due()
    rows = [r for r in await outbox(bot) if r.kind == cover.ASK and r.channel == "test"]
    assert {(r.recipient_email, r.status, r.sent_at) for r in rows} == {
        (DSL, "pending", None),
        (PETRA, "pending", None),
    }
    assert {r.last_error for r in rows} == {"ConnectionError"}
    assert channel.cards(DSL) == [] and channel.cards(PETRA) == []

    channel.refusing = False
    clock.advance(minutes=5)  # past the back-off
    await bot.dispatcher.deliver_due()
    await bot.dispatcher.deliver_due()
    assert len(channel.to(DSL, cover.ASK)) == 1 and len(channel.to(PETRA, cover.ASK)) == 1
    sent = {r.status for r in await outbox(bot) if r.kind == cover.ASK and r.channel == "test"}
    assert sent == {"sent"}
    took = await Chat(bot, PETRA).click(ACCEPT, token=None)
    assert "you are first contact Tue 24 Nov 13:00 to 16:00" in _said(took)
