"""Alerts through the real router, outbox and dispatcher, with a clock the tests move."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import yaml

from bot.cases.scheduled import sweep_alerts
from bot.delivery.messages import Card, Notice
from tests.conftest import DETAILS_IN_ALERTS, EXAMPLE_CONFIG
from tests.support.alerts import CHAIR, DSL, HEAD, ICT, TEAM, file_concern, outbox
from tests.support.harness import Chat
from tests.support.notifiers import FlakyChannel
from tests.support.reports import event_kinds, only_report
from tests.support.walk import CONCERN_TAIL, STAFF, start, walk_to_summary
from tests.web.chat import items, open_chat, serve, sign_in


async def test_a_report_alerts_the_dsl_and_deputies_at_once(make_bot, channel, school_with):
    config = school_with(**DETAILS_IN_ALERTS)
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    delivering = asyncio.create_task(bot.dispatcher.run())
    try:
        await file_concern(bot)
        # Woken after the commit: no sweep, no polling. Three alerts, and the confirmation.
        await channel.delivered(4, within=2.0)
    finally:
        await bot.dispatcher.stop(delivering)
    assert channel.recipients() == TEAM
    (receipt,) = channel.to(STAFF, "receipt")
    notice = receipt.messages[0]
    assert isinstance(notice, Notice) and "Sent. Your reference is OS-2026-" in notice.text
    (card,) = channel.cards(DSL)
    assert card.title.startswith("Online-safety concern OS-2026-")
    fields = {f.label: f.value for f in card.fields}
    assert fields["Status"] == "Awaiting acknowledgement"
    assert fields["Pupils involved"] == CONCERN_TAIL["pupils"]  # details in alerts are on here
    assert [a.label for a in card.actions] == [
        "Acknowledge",
        "View",
        "Add note",
        "Record action",
        "Change category",
        "Close",
    ]
    rows = [r for r in await outbox(bot) if r.kind == "alert"]  # per person and channel
    assert {(r.recipient_email, r.channel, r.level) for r in rows} == {
        (email, ch, 0) for email in TEAM for ch in ("web", "test")
    }


async def test_immediate_danger_alerts_before_the_report_is_finished(
    make_bot, channel, school_with
):
    config = school_with(**DETAILS_IN_ALERTS)
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await chat.click("yes")
    await bot.dispatcher.deliver_due()

    (early,) = channel.cards(DSL)
    assert early.title.startswith("URGENT (immediate danger reported): Online-safety concern")
    assert early.tone == "urgent"
    assert "still answering" in {f.label: f.value for f in early.fields}["Details"]

    await walk_to_summary(
        chat,
        {
            "category": "contact",
            "contact_kind": "grooming",
            "contact_ongoing": "no",
            "contact_meeting": "no",
            **CONCERN_TAIL,
        },
    )
    await chat.click("__submit")
    await bot.dispatcher.deliver_due()
    (update,) = channel.to(DSL, "update")
    (card,) = update.messages
    assert isinstance(card, Card) and card.card_id == early.card_id  # the same case, updated
    (first,) = channel.to(DSL, "alert")
    sent_as = f"msg-{channel.deliveries.index(first) + 1}"  # what the channel returned for it
    assert update.platform_ref == sent_as
    assert {f.label: f.value for f in card.fields}["What happened"] == CONCERN_TAIL["what_happened"]
    assert len(channel.to(DSL, "alert")) == 1  # no second alert for the same level


async def test_escalation_follows_the_clock_and_stops_when_acknowledged(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    chat = await file_concern(bot)
    await sweep_alerts(bot.jobs)
    assert channel.recipients() == TEAM

    clock.advance(minutes=9, seconds=59)
    await sweep_alerts(bot.jobs)
    assert HEAD not in channel.recipients()
    clock.advance(seconds=1)  # 10 minutes: the headteacher
    await sweep_alerts(bot.jobs)
    assert channel.recipients() == {*TEAM, HEAD}
    assert len(channel.to(HEAD)) == 1

    clock.advance(minutes=14)  # 24 minutes: not yet a repeat
    await sweep_alerts(bot.jobs)
    assert len(channel.to(DSL, "alert")) == 1
    clock.advance(minutes=1)  # 25 minutes: everyone reminded
    await sweep_alerts(bot.jobs)
    assert {len(channel.to(e, "alert")) for e in {*TEAM, HEAD}} == {2}
    reminder = channel.cards(HEAD)[-1]
    assert "reminder" in (reminder.text or "")
    await sweep_alerts(bot.jobs)  # running the sweep again sends nothing twice
    assert {len(channel.to(e, "alert")) for e in {*TEAM, HEAD}} == {2}

    dsl = Chat(bot, DSL)
    await dsl.click(f"case:ack:{(await only_report(bot)).id}")
    dsl.assert_reply("escalation has stopped")
    await sweep_alerts(bot.jobs)
    for email in {*TEAM, HEAD}:  # everyone's alert now says who acknowledged it
        fields = {f.label: f.value for f in channel.cards(email)[-1].fields}
        assert fields["Status"].startswith("Acknowledged by Alice Hartley")
    (seen,) = [n for d in channel.to(STAFF, "seen") for n in d.messages if isinstance(n, Notice)]
    assert "seen by the DSL" in seen.text

    clock.advance(hours=3)
    await sweep_alerts(bot.jobs)
    assert {len(channel.to(e, "alert")) for e in {*TEAM, HEAD}} == {2}  # no more escalation
    assert chat.bot is bot


async def test_urgent_reports_escalate_sooner(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot, danger="yes")
    clock.advance(minutes=3)
    await sweep_alerts(bot.jobs)
    assert HEAD in channel.recipients()
    clock.advance(minutes=5)
    await sweep_alerts(bot.jobs)
    assert len(channel.to(DSL, "alert")) == 2


async def test_filtering_failures_tell_ict_without_pupil_details(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    chat = Chat(bot, STAFF)
    await start(chat, "filtering")
    await walk_to_summary(
        chat,
        {
            "problem": "harmful_through",
            "pupil_exposed": "yes",
            "possibly_illegal": "no",
            "pupils_saw": "Zebedee Q (Year 6)",
            "exposure_content": "violence",
            "used_by": "pupil",
            "connection": "school_wifi",
            "device_room": "PC 12, ICT suite",
            "user_account": "Laptop 7, login of pupil Zebedee Q",
            "address": "https://bad.example.com",
            "happened_at": "today 09:40",
            "what_seen": "A video. Zebedee was upset.",
            "actions_taken": "Screen off.",
        },
    )
    await chat.click("__submit")
    await bot.dispatcher.deliver_due()

    assert channel.recipients() == TEAM
    (ict,) = channel.to(ICT)
    assert ict.kind == "ict"
    text = repr(ict.messages)
    assert "hxxps://bad[.]example[.]com" in text
    assert "Zebedee" not in text and "Laptop 7" not in text
    assert "PC 12, ICT suite" in text  # the device and room, to find the log entry
    assert "Pupils who saw it" not in text and "What the pupils saw" not in text
    (card,) = ict.messages
    assert card.title.startswith("Filtering report FF-")  # the kind's alert title
    assert card.fields[0].label == "Reference"


async def test_ict_sees_the_connection_and_device_never_who_used_it_or_the_account(
    make_bot, channel
):
    bot = await make_bot(notifiers={"test": channel})
    chat = Chat(bot, STAFF)
    await start(chat, "filtering")
    await walk_to_summary(
        chat,
        {
            "problem": "ai_output",
            "pupil_exposed": "no",
            "possibly_illegal": "no",
            "used_by": "staff",
            "connection": "mobile_data",
            "device_room": "PC 12, ICT suite",
            "user_account": "login of Mr Quill",
            "address": "https://chat.example.ai",
            "happened_at": "today 09:40",
            "what_seen": "Harmful advice.",
            "actions_taken": "skip",
        },
    )
    await chat.click("__submit")
    await bot.dispatcher.deliver_due()

    (ict,) = channel.to(ICT)
    (card,) = ict.messages
    shown = {f.label: f.value for f in card.fields}
    assert shown["Problem"] == "An AI tool produced harmful output"
    assert shown["Connection"] == "Mobile data (4G or 5G)"
    assert shown["Device and room"] == "PC 12, ICT suite"
    assert "Who was using it" not in shown and "User account" not in shown
    text = repr(ict.messages)
    assert "Quill" not in text and "A member of staff" not in text


async def test_an_urgent_filtering_report_tells_ict_once_it_is_complete(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    chat = Chat(bot, STAFF)
    await start(chat, "filtering")
    for step, value in [("problem", "harmful_through"), ("pupil_exposed", "yes")]:
        chat.assert_asked(step)
        await chat.click(value)
    chat.assert_asked("possibly_illegal")
    await chat.click("yes")  # the DSL is alerted at once
    await bot.dispatcher.deliver_due()
    assert channel.recipients() == TEAM
    assert channel.to(ICT) == []  # nothing to act on yet: the address is not known

    await walk_to_summary(
        chat,
        {
            "pupils_saw": "Zebedee Q (Year 6)",
            "exposure_content": "self_harm",
            "used_by": "pupil",
            "connection": "school_wifi",
            "device_room": "PC 12, ICT suite",
            "user_account": "Laptop 7, login of pupil Zebedee Q",
            "address": "https://bad.example.com",
            "happened_at": "today 09:40",
            "what_seen": "Did not look. Zebedee was upset.",
            "actions_taken": "Screen off.",
        },
    )
    await chat.click("__submit")
    await bot.dispatcher.deliver_due()

    (ict,) = channel.to(ICT)  # once, complete, and still without pupil details
    assert ict.kind == "ict"
    text = repr(ict.messages)
    assert "hxxps://bad[.]example[.]com" in text
    assert "Zebedee" not in text and "Laptop 7" not in text
    assert "PC 12, ICT suite" in text  # the device and room, to find the log entry
    assert "Pupils who saw it" not in text and "What the pupils saw" not in text
    # ICT sees that it may be illegal, and is told not to open it: the DSL reports it.
    (card,) = ict.messages
    shown = {f.label: f.value for f in card.fields}
    assert shown["Possibly illegal"] == "Yes, it could be"
    assert card.text is not None and "Do not open or test this address" in card.text
    assert "the DSL will report it to the IWF or the police" in card.text
    assert "please check" not in card.text


async def test_an_allegation_goes_to_the_head_never_to_the_person_concerned(
    make_bot, channel, clock
):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(
        bot,
        about_adult="yes",
        adult_is_head="no",
        adult_who="Mr Osei, deputy head, messaging a pupil privately",
    )
    await sweep_alerts(bot.jobs)
    assert channel.recipients() == {HEAD}
    clock.advance(hours=2)
    await sweep_alerts(bot.jobs)
    assert "d.osei@example.org" not in channel.recipients()
    assert channel.recipients() == {HEAD, CHAIR}

    report = await only_report(bot)
    osei = Chat(bot, "d.osei@example.org")
    await osei.click(f"case:view:{report.id}")
    osei.assert_reply("Only the DSL")
    assert "refused" in await event_kinds(bot, report)


async def test_an_allegation_about_the_head_goes_to_the_chair(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot, about_adult="yes", adult_is_head="yes", adult_who="The headteacher")
    clock.advance(hours=3)
    await sweep_alerts(bot.jobs)
    assert channel.recipients() == {CHAIR}


async def test_out_of_hours_alerts_show_the_emergency_contacts(make_bot, channel, clock):
    clock.now = clock.now.replace(hour=21)  # 21:00 in November: after school
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    await bot.dispatcher.deliver_due()
    card = channel.cards(DSL)[0]
    assert "outside school hours" in (card.text or "")
    assert "01632 960001" in (card.text or "") and "01632 960003" in (card.text or "")


async def test_alerts_without_details_show_them_on_view_and_record_it(
    make_bot, channel, school_with
):
    config = school_with(alerts__details_in_alert=False)
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await file_concern(bot)
    await bot.dispatcher.deliver_due()
    alert = repr(channel.cards(DSL))
    assert CONCERN_TAIL["pupils"] not in alert and CONCERN_TAIL["what_happened"] not in alert

    report = await only_report(bot)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:view:{report.id}")
    assert CONCERN_TAIL["what_happened"] in repr(dsl.replies)
    assert "viewed" in await event_kinds(bot, report)


# Words that appear only in what the reporter typed, so an alert that carries them is found.
PUPIL, PHRASE = "Zebedee Quillfeather (Year 4)", "he told me the stranger said mauve lanterns"


async def test_by_default_an_alert_names_the_case_but_carries_none_of_the_report(
    make_bot, channel, tmp_path: Path
):
    """A school that says nothing about it: no child's words on a phone's lock screen."""
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    data.get("alerts", {}).pop("details_in_alert", None)
    config = tmp_path / "school.yaml"
    config.write_text(yaml.safe_dump(data))
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await file_concern(bot, pupils=PUPIL, what_happened=PHRASE)
    await bot.dispatcher.deliver_due()
    report = await only_report(bot)

    (card,) = channel.cards(DSL)  # the neutral card the dispatcher composes
    fields = {f.label: f.value for f in card.fields}
    assert fields["Reference"] == report.reference
    assert fields["Kind"].startswith("Online-safety concern")
    assert fields["Urgency"] == "Not marked urgent"
    assert fields["Reported by"] == "Tom Brannigan"
    assert 'press "View"' in fields["Details"]
    assert PUPIL not in repr(card) and PHRASE not in repr(card)

    async with serve(bot) as dsl:  # the same alert in the DSL's web chat
        await sign_in(dsl, DSL)
        async with open_chat(dsl) as (tab, _hello, first):
            frame = first
            shown = [i for i in items(frame) if str(report.reference) in json.dumps(i)]
            while not shown:  # opening the chat delivers the alert that waited for a tab
                frame = await tab.next()
                shown = [i for i in items(frame) if str(report.reference) in json.dumps(i)]
    (alert,) = shown
    web = json.dumps(alert)
    for words in ("Not marked urgent", "Tom Brannigan", "Details are not shown in alerts here"):
        assert words in web
    assert PUPIL not in web and PHRASE not in web


async def test_failing_channels_are_retried_and_hold_nobody_up(make_bot, clock):
    flaky = FlakyChannel(
        failures={
            DSL: ("raise", 2),
            "d.osei@example.org": ("429", 1),
            "p.lindqvist@example.org": ("slow", 1),
        }
    )
    bot = await make_bot(notifiers={"test": flaky})
    bot.dispatcher.send_timeout = 0.2
    await file_concern(bot)

    await bot.dispatcher.deliver_due()
    assert flaky.recipients() == set()  # all three failed, each in its own way
    rows = {r.recipient_email: r for r in await outbox(bot) if r.channel == "test"}
    assert rows["d.osei@example.org"].next_attempt_at == clock() + timedelta(seconds=42)
    assert rows["p.lindqvist@example.org"].last_error == "timed out"
    assert rows[DSL].last_error == "ConnectionError"

    clock.advance(seconds=30)
    await sweep_alerts(bot.jobs)  # the slow one and the raiser's first retry are due
    assert flaky.recipients() == {"p.lindqvist@example.org"}
    clock.advance(minutes=5)
    await sweep_alerts(bot.jobs)
    clock.advance(minutes=5)
    await sweep_alerts(bot.jobs)
    assert flaky.recipients() >= TEAM  # retried until delivered (and the head escalated to)
    assert {len(flaky.to(e, "alert")) for e in TEAM} == {1}
    assert all(r.status == "sent" for r in await outbox(bot) if r.channel == "test")


async def test_one_hanging_recipient_does_not_hold_up_the_others(make_bot):
    flaky = FlakyChannel(failures={"d.osei@example.org": ("slow", 5)})
    bot = await make_bot(notifiers={"test": flaky})
    bot.dispatcher.send_timeout = 0.2
    await file_concern(bot)

    await bot.dispatcher.deliver_due()

    assert flaky.recipients() == {DSL, "p.lindqvist@example.org"}
    rows = {r.recipient_email: r for r in await outbox(bot) if r.channel == "test"}
    assert rows["d.osei@example.org"].status == "pending"


async def test_a_staff_member_cannot_act_on_a_case(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    report = await only_report(bot)
    staff = Chat(bot, "s.nakamura@example.org")
    for verb in ["ack", "view", "note", "close"]:
        await staff.click(f"case:{verb}:{report.id}")
        staff.assert_reply("Only the DSL")
    await staff.send("cases")
    staff.assert_reply("Only the DSL")

    report = await only_report(bot)
    assert report.case_status == "open"
    assert (await event_kinds(bot, report)).count("refused") == 4
