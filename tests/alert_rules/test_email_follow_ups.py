"""A person's e-mail rule, through the real router, outbox, scheduler and dispatcher with a
clock the tests move, to a real SMTP server on loopback: the e-mail arrives once the delay is
over and the alert is still not acknowledged, holds nothing of the report, is never sent once
someone acknowledged first, is retried through the outbox while the server refuses or is
down, and never reaches anyone an allegation may be about."""

from __future__ import annotations

from sqlalchemy import select

from bot.cases.follow_ups import KIND
from bot.cases.scheduled import sweep_alerts
from storage.models import Outbox
from tests.alert_rules.conftest import SENDER
from tests.alert_rules.smtp_server import SmtpServer
from tests.support.alerts import DSL, HEAD, file_concern, outbox
from tests.support.harness import Chat
from tests.support.net import free_port
from tests.support.reports import only_report
from tests.support.walk import CONCERN_TAIL, STAFF, start, walk_to_summary

HOME = "alice.hartley@home.example.net"  # the DSL's rule sends to another address
DEPUTY = "d.osei@example.org"
# What the filed concern says, and who filed it: none of it may be in an e-mail.
REPORT_WORDS = (
    "calling her names",
    "class group chat",
    "Year 5",
    "Year 6",
    "WhatsApp",
    "Spoke to the class teacher",
    "kept the phone",
    "Class teacher",
    "Brannigan",
    "Tom ",
    "commerce",
    "Commerce",
    "scam",
    "Scam",
)


async def follow_ups(bot) -> list[Outbox]:
    return [row for row in await outbox(bot) if row.kind == KIND]


async def sweep_at(bot, clock, **after) -> None:
    clock.advance(**after)
    await sweep_alerts(bot.jobs)


async def test_the_email_arrives_after_the_delay_and_says_nothing_of_the_report(
    make_bot, channel, clock, smtp, school_with_rules
):
    config = school_with_rules(
        {DSL: [{"channel": "email", "after_minutes": 3, "to": HOME}]}, smtp_port=smtp.port
    )
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await file_concern(bot)
    await sweep_alerts(bot.jobs)
    assert DSL in channel.recipients()  # the chat alert went at once
    assert smtp.inbox.received == []

    await sweep_at(bot, clock, minutes=2, seconds=59)
    assert smtp.inbox.received == []
    await sweep_at(bot, clock, seconds=1)
    (mail,) = smtp.inbox.received
    assert mail.rcpt_tos == [HOME]
    assert mail.mail_from == SENDER

    report = await only_report(bot)
    message = mail.message
    assert report.reference in message["Subject"]
    assert message["Auto-Submitted"] == "auto-generated"
    text = mail.text
    assert report.reference in text
    assert "Online-safety concern" in text  # the kind as the card's title names it
    assert "Not marked urgent" in text
    assert "https://safeguarding-bot.example.org/" in text
    raw = mail.raw.decode("utf-8", "replace")
    for words in (*REPORT_WORDS, CONCERN_TAIL["what_happened"]):
        assert words not in raw, words
        assert words not in text, words

    (row,) = await follow_ups(bot)
    assert (row.status, row.channel, row.recipient_email) == ("sent", "email", DSL)
    for _ in range(4):  # later levels and repeats alert the DSL again: no second e-mail
        await sweep_at(bot, clock, minutes=15)
    assert len(smtp.inbox.received) == 1
    assert HEAD in channel.recipients()


async def test_an_alert_acknowledged_first_sends_no_email(
    make_bot, channel, clock, smtp, school_with_rules
):
    config = school_with_rules(
        {DSL: [{"channel": "email", "after_minutes": 3}]}, smtp_port=smtp.port
    )
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await file_concern(bot)
    await sweep_alerts(bot.jobs)
    report = await only_report(bot)

    clock.advance(minutes=2)
    await Chat(bot, DEPUTY).click(f"case:ack:{report.id}")
    await sweep_at(bot, clock, minutes=1)
    for _ in range(3):
        await sweep_at(bot, clock, minutes=15)
    assert smtp.inbox.received == []
    (row,) = await follow_ups(bot)
    assert row.status == "cancelled"
    assert row.sent_at is None
    assert "acknowledged" in (row.last_error or "")


async def test_opening_a_chat_does_not_bring_the_email_forward(
    make_bot, channel, clock, smtp, school_with_rules
):
    """A person opening a chat makes what waits for them due at once (retries): a follow-up
    not yet due is not a retry, and keeps its time."""
    config = school_with_rules(
        {DSL: [{"channel": "email", "after_minutes": 3}]}, smtp_port=smtp.port
    )
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await file_concern(bot)
    await sweep_alerts(bot.jobs)
    clock.advance(minutes=1)
    await bot.dispatcher.deliver_due(recipient=DSL)
    assert smtp.inbox.received == []
    await sweep_at(bot, clock, minutes=2)
    assert len(smtp.inbox.received) == 1


async def test_a_refusing_server_is_retried_until_it_accepts_and_the_email_goes_once(
    make_bot, channel, clock, smtp, school_with_rules
):
    config = school_with_rules(
        {DSL: [{"channel": "email", "after_minutes": 3}]}, smtp_port=smtp.port
    )
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    smtp.inbox.refusals += [("data", 451), ("rcpt", 550)]
    await file_concern(bot)
    await sweep_alerts(bot.jobs)

    await sweep_at(bot, clock, minutes=3)
    assert smtp.inbox.refused == [451]
    (row,) = await follow_ups(bot)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "451" in (row.last_error or "")

    await sweep_at(bot, clock, seconds=10)  # past the first back-off (5 s, with jitter)
    assert smtp.inbox.refused == [451, 550]
    (row,) = await follow_ups(bot)
    assert (row.status, row.attempts) == ("pending", 2)
    assert "550" in (row.last_error or "")
    assert smtp.inbox.received == []

    await sweep_at(bot, clock, seconds=15)  # past the second (10 s)
    assert len(smtp.inbox.received) == 1
    (row,) = await follow_ups(bot)
    assert (row.status, row.attempts) == ("sent", 3)
    await sweep_at(bot, clock, minutes=5)
    assert len(smtp.inbox.received) == 1


async def test_a_server_not_listening_leaves_the_email_pending_until_it_is_up(
    make_bot, channel, clock, school_with_rules
):
    port = free_port()  # nobody listens here yet
    config = school_with_rules({DSL: [{"channel": "email", "after_minutes": 3}]}, smtp_port=port)
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await file_concern(bot)
    await sweep_alerts(bot.jobs)
    await sweep_at(bot, clock, minutes=3)
    (row,) = await follow_ups(bot)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "could not be reached" in (row.last_error or "")

    server = SmtpServer(port)
    server.start()
    try:
        await sweep_at(bot, clock, seconds=10)
        assert len(server.inbox.received) == 1
        (row,) = await follow_ups(bot)
        assert row.status == "sent"
    finally:
        server.stop()


async def test_the_person_an_allegation_is_about_gets_no_email(
    make_bot, channel, clock, smtp, school_with_rules
):
    """Urgent: the team is alerted at once, the deputy's e-mail queued for 3 minutes later;
    then the report turns out to be about the deputy. Their e-mail never goes; the head, who
    has the case now, gets theirs."""
    config = school_with_rules(
        {
            DEPUTY: [{"channel": "email", "after_minutes": 3}],
            HEAD: [{"channel": "email", "after_minutes": 3}],
        },
        smtp_port=smtp.port,
    )
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await chat.click("yes")  # immediate danger: alerted now
    await sweep_alerts(bot.jobs)
    assert DEPUTY in channel.recipients()
    answers = {
        "category": "contact",
        "contact_kind": "grooming",
        "contact_ongoing": "no",
        "contact_meeting": "no",
        **CONCERN_TAIL,
        "about_adult": "yes",
        "adult_concern_kind": "harm",
        "adult_is_head": "no",
        "adult_who": "Mr Osei, deputy DSL",
    }
    await walk_to_summary(chat, answers)
    await chat.click("__submit")
    for _ in range(6):
        await sweep_at(bot, clock, minutes=3)

    assert [m.rcpt_tos for m in smtp.inbox.received] == [[HEAD]]
    rows = {row.recipient_email: row for row in await follow_ups(bot)}
    assert rows[DEPUTY].status == "cancelled"
    assert rows[DEPUTY].sent_at is None
    assert rows[HEAD].status == "sent"
    async with bot.router.sessions() as session:
        sent = await session.scalars(
            select(Outbox).where(Outbox.recipient_email == DEPUTY, Outbox.status == "sent")
        )
        assert all(r.kind != KIND for r in sent)


async def test_an_allegation_never_queues_an_email_for_its_subject(
    make_bot, channel, clock, smtp, school_with_rules
):
    config = school_with_rules(
        {
            DSL: [{"channel": "email", "after_minutes": 0}],
            DEPUTY: [{"channel": "email", "after_minutes": 0}],
        },
        smtp_port=smtp.port,
    )
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who="Daniel Osei")
    for _ in range(6):
        await sweep_at(bot, clock, minutes=30)
    assert DEPUTY not in {r.recipient_email for r in await follow_ups(bot)}
    assert all(DEPUTY not in m.rcpt_tos for m in smtp.inbox.received)
    assert channel.to(DEPUTY) == []


async def test_a_drills_email_says_drill_no_child_involved(
    make_bot, channel, clock, smtp, school_with_rules
):
    """A drill goes through the person's rules too (it tests the whole chain), and its e-mail is
    marked as every card of it is: nobody may take it for a real alert."""
    config = school_with_rules(
        {DSL: [{"channel": "email", "after_minutes": 3, "to": HOME}]}, smtp_port=smtp.port
    )
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await Chat(bot, DEPUTY).send("drill")
    await sweep_alerts(bot.jobs)
    await sweep_at(bot, clock, minutes=3)
    (mail,) = smtp.inbox.received
    assert mail.message["Subject"].startswith("DRILL: no child involved")
    assert "DRILL: no child involved" in mail.text
    assert "Online-safety concern" not in mail.text
