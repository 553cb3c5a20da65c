"""Whoever an allegation may be about hears nothing of it and can open nothing of it.

Each line of the table names one of the school's people one way, as reporters were seen to: the
report goes through the real router, outbox and dispatcher; then the person named tries to
view it, export it and list it, and the escalation runs for hours.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.cases.scheduled import sweep_alerts
from bot.delivery import addresses
from bot.delivery.messages import Card
from bot.words import strings
from storage.models import Outbox
from tests.conftest import DETAILS_IN_ALERTS
from tests.support.alerts import CHAIR, DSL, HEAD, file_concern, outbox
from tests.support.harness import Chat
from tests.support.reports import event_kinds, only_report

DEPUTY = "d.osei@example.org"
SLACK_IDS = {"UDSL1": DSL, "UDEP1": DEPUTY, "UHEAD1": HEAD, "UCHAIR1": CHAIR}

NAMED = {
    DSL: [
        "Alice Hartley",
        "alice   HARTLEY",
        "Mrs. Hartley",
        "Mrs Hartley, our DSL",
        "Ms Hartley",
        "A. Hartley",
        "A Hartley",
        "Hartley",
        "Hartley, Alice",
        "a.hartley@example.org",
        "the DSL",
        "designated safeguarding lead",
        "<@UDSL1>",
        "<at>Alice Hartley</at>",
        "@dsl",
    ],
    DEPUTY: [
        "Daniel Osei",
        "Mr. Osei",
        "Mr Osei (year 6)",
        "D. Osei",
        "D Osei",
        "Dan Osei",
        "OSEI",
        "d.osei@example.org",
        "the deputy",
        "deputy DSL",
        "<@UDEP1> in the staff room",
        "<at>Daniel Osei</at>",
    ],
    HEAD: [
        "Mr. Fenwick (head)",
        "Martin Fenwick",
        "M. Fenwick",
        "Fenwick",
        "Dr Fenwick",
        "the head",
        "headteacher",
        "The head teacher",
        "m.fenwick@example.org",
        "<@UHEAD1>",
        "<at>Martin Fenwick</at>",
        "mr fenwick",
    ],
    CHAIR: [
        "Mrs. Whitcombe, chair of governors",
        "Jo Whitcombe",
        "the chair of governors",
        "the chair",
        "Joanna Whitcombe",
        "J. Whitcombe",
        "Whitcombe",
        "Miss Whitcombe",
        "Mx Whitcombe",
        "j.whitcombe@example.org",
        "<@UCHAIR1>",
        "<at>Joanna Whitcombe</at>",
    ],
}
CASES = [(email, text) for email, texts in NAMED.items() for text in texts]


def test_each_is_named_at_least_twelve_ways() -> None:
    assert {email: len(texts) >= 12 for email, texts in NAMED.items()} == dict.fromkeys(NAMED, True)


async def know_slack_ids(bot) -> None:
    """What the Slack adapter stores when it learns who a Slack user is (users.info)."""
    async with bot.router.sessions() as session, session.begin():
        for user_id, email in SLACK_IDS.items():
            await addresses.remember(
                session,
                channel="slack",
                platform_user_id=user_id,
                address={"team_id": "T1"},
                email=email,
                now=bot.router.clock(),
            )


@pytest.mark.parametrize(("subject", "named"), CASES)
async def test_the_person_named_is_never_told_and_cannot_open_it(
    make_bot, channel, clock, subject, named
):
    bot = await make_bot(notifiers={"test": channel})
    await know_slack_ids(bot)
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who=named)
    for _ in range(6):  # every level of the escalation and its repeats
        await sweep_alerts(bot.jobs)
        clock.advance(minutes=30)
    report = await only_report(bot)

    rows = [r for r in await outbox(bot) if r.recipient_email == subject]
    assert [(r.kind, r.level) for r in rows if r.kind in {"alert", "update"}] == []
    assert channel.to(subject) == []
    assert channel.recipients(), "the allegation went to nobody"
    assert subject not in channel.recipients()

    them = Chat(bot, subject)
    for verb in ("view", "export", "ack"):
        await them.click(f"case:{verb}:{report.id}")
        them.assert_reply(strings.NOT_ALLOWED[:30])
    assert (await event_kinds(bot, report)).count("refused") == 3
    await them.send("cases")
    assert report.reference not in repr(them.replies)


async def test_the_person_who_handles_it_is_told_who_was_left_out(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who="the chair")
    await bot.dispatcher.deliver_due()
    (card,) = channel.cards(HEAD)
    left_out = {f.label: f.value for f in card.fields}["Left out"]
    assert "Joanna Whitcombe" in left_out and "the chair" in left_out


async def test_an_allegation_naming_nobody_known_goes_to_the_head_alone(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who="someone on supply")
    for _ in range(6):
        await sweep_alerts(bot.jobs)
        clock.advance(minutes=30)
    assert channel.recipients() == {HEAD}


async def test_about_the_head_and_unnamed_goes_to_the_chair_alone(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot, about_adult="yes", adult_is_head="yes", adult_who="not sure")
    for _ in range(6):
        await sweep_alerts(bot.jobs)
        clock.advance(minutes=30)
    assert channel.recipients() == {CHAIR}


async def test_who_is_left_out_is_fixed_when_the_report_is_filed(
    make_bot, channel, clock, school_with
):
    """A later edit of the school file (the DSL renamed) cannot let them in."""
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who="Mrs Hartley")
    report = await only_report(bot)
    people = [
        {
            "email": p.email,
            "name": "Alice Smith" if p.email == DSL else p.name,
            "roles": [str(r) for r in p.roles],
        }
        for p in bot.school.people
    ]
    again = await make_bot(notifiers={"test": channel}, school_config=school_with(people=people))
    dsl = Chat(again, DSL)
    await dsl.click(f"case:view:{report.id}")
    dsl.assert_reply(strings.NOT_ALLOWED[:30])


async def test_urgent_then_an_allegation_about_the_dsl(make_bot, channel, clock, school_with):
    """The team is told at once, with no details; once the DSL is named, their card becomes a
    neutral note without buttons, they get nothing more, and the head has the case (with the
    report's words in the alert, where the school has asked for them)."""
    from tests.support.walk import CONCERN_TAIL, STAFF, start, walk_to_summary

    config = school_with(**DETAILS_IN_ALERTS)
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await chat.click("yes")
    await bot.dispatcher.deliver_due()
    (early,) = channel.cards(DSL)
    early_fields = {f.label: f.value for f in early.fields}
    assert "Reported by" not in early_fields
    assert "Tom Brannigan" not in repr(early)
    assert "details to follow" in early_fields["Kind"].lower()

    answers = {
        "category": "contact",
        "contact_kind": "grooming",
        "contact_ongoing": "no",
        "contact_meeting": "no",
        **CONCERN_TAIL,
        "about_adult": "yes",
        "adult_concern_kind": "harm",
        "adult_is_head": "no",
        "adult_who": "Mrs. Hartley (DSL)",
    }
    await walk_to_summary(chat, answers)  # the subject is known before the summary
    await bot.dispatcher.deliver_due()
    neutral = channel.cards(DSL)[-1]
    assert neutral.card_id == early.card_id
    assert neutral.actions == ()
    assert neutral.fields == ()
    assert strings.PASSED_ON in (neutral.text or neutral.title)
    assert CONCERN_TAIL["what_happened"] not in repr(neutral)
    assert "Hartley" not in repr(neutral)
    assert HEAD in channel.recipients()

    await chat.click("__submit")
    for _ in range(6):
        await sweep_alerts(bot.jobs)
        clock.advance(minutes=30)
    dsl_cards = channel.cards(DSL)
    assert dsl_cards[-1] == neutral
    for card in dsl_cards:
        assert CONCERN_TAIL["what_happened"] not in repr(card)
        assert "Hartley" not in repr(card) and "Tom Brannigan" not in repr(card)
    assert [a for c in dsl_cards[1:] for a in c.actions] == []
    head_card = channel.cards(HEAD)[-1]
    fields = {f.label: f.value for f in head_card.fields}
    assert fields["What happened"] == CONCERN_TAIL["what_happened"]
    assert "Alice Hartley" in fields["Left out"]

    report = await only_report(bot)
    dsl = Chat(bot, DSL)
    for verb in ("view", "export", "ack"):
        await dsl.click(f"case:{verb}:{report.id}")
        dsl.assert_reply(strings.NOT_ALLOWED[:30])
    head = Chat(bot, HEAD)
    await head.click(f"case:view:{report.id}")
    assert CONCERN_TAIL["what_happened"] in repr(head.replies)
    await head.click(f"case:ack:{report.id}")
    count = len(channel.to(DSL))
    await sweep_alerts(bot.jobs)
    assert len(channel.to(DSL)) == count  # the acknowledgement updates nothing of theirs
    assert isinstance(neutral, Card)


async def test_a_stored_row_for_an_excluded_person_is_never_built_with_details(make_bot, channel):
    """Even a row queued by an older version for the person concerned goes out neutral."""
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who="Mr Fenwick")
    report = await only_report(bot)
    async with bot.router.sessions() as session, session.begin():
        now = bot.router.clock()
        session.add(
            Outbox(
                report_id=report.id,
                recipient_email=HEAD,
                channel="test",
                kind="alert",
                level=7,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now - timedelta(seconds=1),
            )
        )
    await bot.dispatcher.deliver_due()
    for card in channel.cards(HEAD):
        assert card.fields == () and card.actions == ()
        assert "Fenwick" not in repr(card)


async def test_without_a_head_or_a_chair_the_fallback_takes_it_never_the_dsl(
    make_bot, channel, clock, school_with
):
    """The school file names a governor and the LADO instead: an allegation about the DSL
    reaches the governor, and never the DSL or the deputies."""
    bot = await make_bot()
    people = [
        {"email": p.email, "name": p.name, "roles": [str(r) for r in p.roles]}
        for p in bot.school.people
        if p.email != HEAD
    ]
    config = school_with(
        people=people,
        chair_of_governors_email=None,
        allegations={
            "fallback": [CHAIR],
            "lado": {"name": "Example LADO", "phone": "01632 960009"},
        },
    )
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who="the DSL")
    for _ in range(6):
        await sweep_alerts(bot.jobs)
        clock.advance(minutes=30)
    assert channel.recipients() == {CHAIR}
    fields = {f.label: f.value for f in channel.cards(CHAIR)[0].fields}
    assert "Alice Hartley" in fields["Left out"]
    assert fields[strings.LADO] == "Example LADO: 01632 960009"


async def test_a_chain_with_governors_still_updates_their_cards(
    make_bot, channel, clock, school_with
):
    """Only an allegation narrows who hears more: a school that escalates ordinary reports to
    its governors keeps them informed."""
    levels = [
        {"after_minutes": 0, "roles": ["dsl", "deputy_dsl"]},
        {"after_minutes": 1, "roles": ["governor"]},
    ]
    config = school_with(alerts__normal={"levels": levels, "repeat_every_minutes": 15})
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await file_concern(bot)
    clock.advance(minutes=1)
    await sweep_alerts(bot.jobs)
    assert CHAIR in channel.recipients()
    await Chat(bot, DSL).click(f"case:ack:{(await only_report(bot)).id}")
    await sweep_alerts(bot.jobs)
    fields = {f.label: f.value for f in channel.cards(CHAIR)[-1].fields}
    assert fields["Status"].startswith("Acknowledged by Alice Hartley")


async def test_urgent_then_the_dsl_reports_themselves(make_bot, channel, clock):
    """The DSL, reporting their own conduct, is told at once with the team (an urgent report
    before anyone knows whom it is about); once it is a self-report, their card says only that
    it was passed on, they can open nothing of it, and the head has it."""
    from tests.support.walk import CONCERN_TAIL, start, walk_to_summary

    bot = await make_bot(notifiers={"test": channel})
    chat = Chat(bot, DSL)
    await start(chat, "concern")
    await chat.click("yes")
    await bot.dispatcher.deliver_due()
    (early,) = channel.cards(DSL)
    answers = {
        "category": "commerce",
        "commerce_kind": "scam",
        **CONCERN_TAIL,
        "about_adult": "yes",
        "adult_concern_kind": "self_report",
    }
    asked = await walk_to_summary(chat, answers)
    assert "adult_who" not in asked and "adult_is_head" not in asked
    await bot.dispatcher.deliver_due()
    neutral = channel.cards(DSL)[-1]
    assert neutral.card_id == early.card_id
    assert neutral.actions == () and neutral.fields == ()
    assert HEAD in channel.recipients()

    await chat.click("__submit")
    for _ in range(6):
        await sweep_alerts(bot.jobs)
        clock.advance(minutes=30)
    report = await only_report(bot)
    assert report.urgent and report.allegation_kind == "self_report"
    assert [a for c in channel.cards(DSL) for a in c.actions] == list(early.actions)
    for card in channel.cards(DSL)[1:]:
        assert CONCERN_TAIL["what_happened"] not in repr(card)
    dsl = Chat(bot, DSL)
    for verb in ("view", "export", "ack"):
        await dsl.click(f"case:{verb}:{report.id}")
        dsl.assert_reply(strings.NOT_ALLOWED[:30])
    fields = {f.label: f.value for f in channel.cards(HEAD)[-1].fields}
    assert "Alice Hartley" in fields["Left out"]
    assert "themselves" in fields["Left out"]
