"""Before an unfinished report with any answer is purged, the DSL is told who started what kind
of report and when, with no content, and may open it; every step is in the event log (issue
15, point 11). A draft about an adult at school goes only as the allegation's route says."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from bot.app import Bot
from bot.chat.scheduled import purge_drafts
from bot.delivery.messages import Card
from storage.models import Event, Outbox
from tests.support.harness import Chat
from tests.support.notifiers import FlakyChannel, RecordingChannel
from tests.support.reports import event_kinds
from tests.support.walk import STAFF, ChatAsking, start, walk

DSL, HEAD, CHAIR = "a.hartley@example.org", "m.fenwick@example.org", "j.whitcombe@example.org"
DEPUTIES = {"d.osei@example.org", "p.lindqvist@example.org"}
TEACHER = "s.nakamura@example.org"
PUPILS = "AB (Year 5) was sent a fake prize link"
SO_FAR = {
    "immediate_danger": "no",
    "category": "commerce",
    "commerce_kind": "scam",
    "about_adult": "no",
    "pupils": PUPILS,
}
KEPT = 72  # hours a draft is kept untouched (the default)
GRACE = 48  # hours after the DSL's notice before it is purged (the default)


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


async def left_draft(bot: Bot, answers: dict[str, str], until: str) -> Chat:
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk(ChatAsking(chat), answers, until=until)
    return chat


async def notices_of(bot) -> list[Outbox]:  # type: ignore[no-untyped-def]
    async with bot.router.sessions() as session:
        query = select(Outbox).where(Outbox.kind == "draft_notice").order_by(Outbox.id)
        return list(await session.scalars(query))


async def events(bot, kind: str) -> list[Event]:  # type: ignore[no-untyped-def]
    async with bot.router.sessions() as session:
        query = select(Event).where(Event.kind == kind).order_by(Event.id)
        return list(await session.scalars(query))


def notice_cards(channel: RecordingChannel, email: str) -> list[Card]:
    return [c for c in channel.cards(email) if c.card_id.startswith("draft-")]


async def test_the_dsl_team_is_told_before_a_draft_is_purged_and_it_waits(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    chat = await left_draft(bot, SO_FAR, "what_happened")

    clock.advance(hours=KEPT + 1)
    assert await purge_drafts(bot.jobs) == 0  # told, not purged

    told = {d.recipient_email for d in channel.deliveries if d.kind == "draft_notice"}
    assert told == {DSL, *DEPUTIES}  # as for an alert; not the reporter
    (card,) = notice_cards(channel, DSL)
    assert card.title == "Unfinished report, not sent: online-safety concern"
    assert "Tom Brannigan (t.brannigan@example.org) started a report" in (card.text or "")
    assert "at Tue 24 Nov 2026, 10:30" in (card.text or "")
    assert "opening it is recorded" in (card.text or "")
    assert PUPILS not in repr(card) and "scam" not in repr(card)  # no content
    assert [a.label for a in card.actions] == ["Open the unfinished report"]
    (event,) = await events(bot, "draft_dsl_told")
    assert event.actor_email is None and PUPILS not in repr(event.__dict__)

    for hours in (1, GRACE - 2):  # the job runs on: told once, and the draft is kept
        clock.advance(hours=hours)
        assert await purge_drafts(bot.jobs) == 0
    rows = await notices_of(bot)  # once per person and channel, as an alert
    assert {(r.recipient_email, r.channel) for r in rows} == {
        (email, ch) for email in (DSL, *DEPUTIES) for ch in ("web", "test")
    }
    clock.advance(hours=2)
    assert await purge_drafts(bot.jobs) == 1

    (purged,) = await events(bot, "draft_purged")
    assert datetime.fromisoformat(str(purged.detail["dsl_told_at"])) == event.at
    assert event.detail["recipients"] == 3 and event.detail["flow"] == "concern"
    await chat.open()
    chat.assert_reply("was deleted after")
    chat.assert_reply("the DSL was told who had started it and when")
    kinds = await event_kinds(bot)
    assert kinds.index("draft_dsl_told") < kinds.index("draft_purged")


async def test_a_draft_with_no_answer_is_purged_without_a_notice(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    chat = Chat(bot, STAFF)
    await start(chat, "concern")  # asked the first question, nothing answered

    clock.advance(hours=KEPT + 1)
    assert await purge_drafts(bot.jobs) == 1
    assert await notices_of(bot) == []
    assert "draft_dsl_told" not in await event_kinds(bot)


async def test_the_dsl_opens_the_draft_and_the_opening_is_recorded(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    await left_draft(bot, SO_FAR, "what_happened")
    clock.advance(hours=KEPT + 1)
    await purge_drafts(bot.jobs)
    (card,) = notice_cards(channel, DSL)

    dsl = Chat(bot, DSL)
    await dsl.click(card.actions[0].value, token=None)

    (opened,) = [r for r in dsl.replies if isinstance(r, Card)]
    assert opened.title.startswith("Unfinished online-safety concern report (not sent)")
    assert "Tom Brannigan" in opened.title
    fields = {f.label: f.value for f in opened.fields}
    assert fields["Pupils involved"] == PUPILS
    assert "Your opening it is recorded" in (opened.text or "")
    (event,) = await events(bot, "draft_opened")
    assert event.actor_email == DSL
    assert PUPILS not in repr(event.__dict__)


async def test_someone_not_told_cannot_open_it(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    await left_draft(bot, SO_FAR, "what_happened")
    clock.advance(hours=KEPT + 1)
    await purge_drafts(bot.jobs)
    (card,) = notice_cards(channel, DSL)

    for who in (TEACHER, STAFF):  # a member of staff; the reporter is not "told" either
        other = Chat(bot, who)
        await other.click(card.actions[0].value, token=None)
        assert not [r for r in other.replies if isinstance(r, Card)]
        other.assert_reply("not one you may open")
        assert PUPILS not in repr(other.replies)
    assert await events(bot, "draft_opened") == []
    assert "refused" in await event_kinds(bot)


async def test_a_draft_about_an_adult_goes_only_to_the_allegations_route(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    answers = {**SO_FAR, "about_adult": "yes", "adult_concern_kind": "harm", "adult_is_head": "no"}
    answers.pop("pupils")
    await left_draft(bot, answers, "adult_who")  # who it is about: not answered yet

    clock.advance(hours=KEPT + 1)
    await purge_drafts(bot.jobs)
    told = {d.recipient_email for d in channel.deliveries if d.kind == "draft_notice"}
    assert told == {HEAD}  # in doubt (nobody named yet): the head alone

    dsl = Chat(bot, DSL)
    (card,) = notice_cards(channel, HEAD)
    await dsl.click(card.actions[0].value, token=None)
    dsl.assert_reply("not one you may open")
    head = Chat(bot, HEAD)
    await head.click(card.actions[0].value, token=None)
    assert [r for r in head.replies if isinstance(r, Card)]


async def test_a_draft_naming_the_head_goes_to_the_chair(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    answers = {**SO_FAR, "about_adult": "yes", "adult_concern_kind": "harm", "adult_is_head": "yes"}
    answers.pop("pupils")
    await left_draft(bot, answers, "adult_who")

    clock.advance(hours=KEPT + 1)
    await purge_drafts(bot.jobs)
    told = {d.recipient_email for d in channel.deliveries if d.kind == "draft_notice"}
    assert told == {CHAIR}


async def test_a_draft_never_goes_to_someone_its_answers_name(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    answers = {**SO_FAR, "pupils": "AB (Year 5); Mr Osei saw the messages"}
    await left_draft(bot, answers, "what_happened")

    clock.advance(hours=KEPT + 1)
    await purge_drafts(bot.jobs)
    told = {d.recipient_email for d in channel.deliveries if d.kind == "draft_notice"}
    assert told == {DSL, "p.lindqvist@example.org"}


async def test_coming_back_after_the_notice_keeps_the_draft(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    chat = await left_draft(bot, SO_FAR, "what_happened")
    clock.advance(hours=KEPT + 1)
    await purge_drafts(bot.jobs)
    assert len(await notices_of(bot)) == 6

    await chat.send("A pop-up on the class laptop promised a prize.")
    clock.advance(hours=GRACE + 1)
    assert await purge_drafts(bot.jobs) == 0  # a new idle period: its own wait
    chat.assert_asked("what_happened")
    clock.advance(hours=KEPT - GRACE)
    assert await purge_drafts(bot.jobs) == 0
    assert len(await notices_of(bot)) == 12  # told again, about the draft as it is now
    assert len(await events(bot, "draft_dsl_told")) == 2


async def test_a_refused_notice_is_not_taken_as_told_and_is_sent_again(make_bot, clock):
    """The platform refuses the DSL's notice once: its row stays unsent with the error, the
    deputies' are sent, and the next delivery round brings the DSL's card."""
    channel = FlakyChannel(failures={DSL: ("raise", 1)})
    bot = await make_bot(notifiers={"test": channel})
    await left_draft(bot, SO_FAR, "what_happened")
    clock.advance(hours=KEPT + 1)
    assert await purge_drafts(bot.jobs) == 0

    rows = {(r.recipient_email, r.channel): r for r in await notices_of(bot)}
    refused = rows[(DSL, "test")]
    assert refused.status != "sent" and refused.last_error is not None
    assert all(rows[(d, "test")].status == "sent" for d in DEPUTIES)
    assert notice_cards(channel, DSL) == []

    clock.advance(minutes=10)
    await bot.dispatcher.deliver_due()
    (card,) = notice_cards(channel, DSL)
    assert card.title == "Unfinished report, not sent: online-safety concern"
    assert channel.attempts[DSL] == 2
