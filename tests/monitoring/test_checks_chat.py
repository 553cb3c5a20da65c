"""The filtering check in chat, through the real router: walked by step id it is stored (the
results as codes, the typed text sealed); a category not blocked files a filtering report at
once and alerts the DSL team and the ICT contacts (urgent for illegal content); `checks` lists
the checks with a spreadsheet of every one; staff are refused, and the refusal recorded; an old
ask's button, a double Send and a stop behave."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from bot.delivery.messages import Card
from bot.monitoring.checks import checks_between
from bot.monitoring.checks_schedule import START
from storage.models import Event, FilteringCheck, Report
from tests.monitoring.checks import CHECK, ICT
from tests.support.alerts import DEPUTIES, DSL, HEAD
from tests.support.harness import Chat
from tests.support.walk import STAFF, ChatAsking, walk


async def checked(bot, ict: Chat, answers: dict[str, str]) -> None:
    """Start the check as the ask's button does, answer each step by its id, and send it."""
    await ict.click(START, token=False)
    await walk(ChatAsking(ict), answers)
    await ict.click("__submit")


async def stored(bot) -> list[FilteringCheck]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(FilteringCheck).order_by(FilteringCheck.id)))


async def reports(bot) -> list[Report]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(Report).order_by(Report.id)))


async def events(bot, kind: str) -> list[Event]:
    async with bot.router.sessions() as session:
        return list(
            await session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id))
        )


async def test_walking_the_check_stores_it_with_the_typed_text_sealed(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    ict = Chat(bot, ICT)
    await checked(bot, ict, CHECK)
    ict.assert_reply("Recorded: thank you")

    (check,) = await stored(bot)
    assert check.checked_by == ICT and check.user_group == "pupils"
    assert check.results == {
        "csam": "blocked",
        "terrorism": "blocked",
        "adult": "blocked",
        "offensive_language": "blocked",
        "self_harm": "not_tested",
    }
    assert not check.failed and check.report_id is None
    assert check.text_enc is not None and b"laptop" not in check.text_enc
    assert await reports(bot) == []  # nothing failed: nothing reported

    async with bot.router.sessions() as session:
        day = bot.router.clock().date()
        (record,) = await checks_between(session, first=day, last=day, cipher=bot.cipher)
        (without_key,) = await checks_between(session, first=day, last=day)
    assert (record.device, record.location, record.action) == (
        "Pupil laptop 12",
        "ICT suite, school Wi-Fi",
        "Nothing needed",
    )
    assert without_key.results == record.results and without_key.device == ""
    (event,) = await events(bot, "filtering_check_recorded")
    assert "laptop" not in str(event.detail)  # codes only in the log


async def test_illegal_content_not_blocked_files_an_urgent_filtering_report_and_alerts(
    make_bot, channel
):
    bot = await make_bot(notifiers={"test": channel})
    ict = Chat(bot, ICT)
    await ict.click(START, token=False)
    await walk(ChatAsking(ict), {**CHECK, "result_csam": "not_blocked"}, until="result_terrorism")
    ict.assert_reply("Do not open or test the address again")  # the flow's advice, at once
    rest = {k: v for k, v in CHECK.items() if list(CHECK).index(k) >= 5}
    await walk(ChatAsking(ict), rest)
    await ict.click("__submit")
    ict.assert_reply("filtering report FF-")

    (check,) = await stored(bot)
    (report,) = await reports(bot)
    assert check.failed and check.report_id == report.id
    assert report.kind == "filtering" and report.category == "harmful_through"
    assert report.urgent and report.urgent_reasons == ["illegal_content_not_blocked"]
    assert report.reporter_email == ICT and report.status == "submitted"
    assert report.reference in " ".join(ict.texts)

    await bot.dispatcher.deliver_due()
    assert channel.recipients("alert") == {DSL, *DEPUTIES}
    assert channel.recipients("ict") == {ICT}
    (ict_card,) = [c for c in channel.cards(ICT) if c.card_id == f"ict-{report.id}"]
    shown = " ".join(f.value for f in ict_card.fields)
    assert "Child sexual abuse content (IWF URL list)" in shown
    assert "Pupil laptop 12, ICT suite, school Wi-Fi" in shown
    assert HEAD not in channel.recipients("alert")


async def test_adult_content_not_blocked_files_a_report_that_is_not_urgent(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    await checked(bot, Chat(bot, ICT), {**CHECK, "result_adult": "not_blocked"})
    (report,) = await reports(bot)
    assert report.kind == "filtering" and not report.urgent
    await bot.dispatcher.deliver_due()
    assert channel.recipients("alert") == {DSL, *DEPUTIES}


async def test_checks_lists_them_and_the_spreadsheet_has_every_check(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    ict = Chat(bot, ICT)
    for n in range(12):
        await checked(bot, ict, {**CHECK, "device": f"=laptop {n}"})
        clock.advance(days=1)
    await checked(bot, ict, {**CHECK, "result_terrorism": "not_blocked", "device": "iPad 4"})
    (report,) = await reports(bot)

    dsl = Chat(bot, DSL)
    await dsl.send("checks")
    (card,) = [r for r in dsl.replies if isinstance(r, Card)]
    assert card.title == "Filtering checks (13 recorded)"
    assert len(card.fields) == 10  # the latest ten; the file has all
    assert "Not blocked: Unlawful terrorist content (CTIRU list)" in card.fields[0].value
    assert report.reference is not None and report.reference in card.fields[0].value
    (attachment,) = card.attachments
    assert attachment.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(attachment.data.decode("utf-8-sig"))))
    assert len(rows) == 13
    assert rows[0]["Device"] == "'=laptop 0"  # never run as a formula
    assert rows[0]["Checked by"] == "Ravi Adeyemi" and rows[0]["Email"] == ICT
    assert rows[0]["User group"] == "Pupils"
    assert rows[0]["Location"] == "ICT suite, school Wi-Fi"
    assert rows[0]["Test"] == "SWGfL Test Filtering (testfiltering.com)"
    assert rows[0]["Child sexual abuse content (IWF URL list)"] == "Blocked"
    assert rows[0]["Self-harm and suicide"] == "Not tested"
    assert rows[0]["Action taken"] == "Nothing needed" and rows[0]["Report"] == ""
    assert rows[-1]["Unlawful terrorist content (CTIRU list)"] == "Not blocked"
    assert rows[-1]["Report"] == report.reference
    assert [r["Date"] for r in rows] == sorted(r["Date"] for r in rows)

    await Chat(bot, ICT).send("checks")  # the ICT lead may too
    shown = await events(bot, "filtering_checks_shown")
    assert [e.actor_email for e in shown] == [DSL, ICT]
    assert shown[0].detail == {"channel": "test", "checks": 13, "file": None}


async def test_staff_are_refused_and_the_refusal_recorded(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    staff = Chat(bot, STAFF)
    await staff.send("checks")
    staff.assert_reply("Only the ICT contacts, the DSL, a deputy or the headteacher")
    await staff.click(START, token=False)  # a forwarded ask's button
    staff.assert_reply("Only the ICT contacts, the DSL, a deputy or the headteacher")
    await staff.send("check")
    assert not [r for r in staff.replies if isinstance(r, Card) and r.card_id == "filtering-checks"]
    assert await stored(bot) == []
    refused = await events(bot, "refused")
    assert refused[0].actor_email == STAFF
    assert refused[0].detail == {"action": "checks"}


async def test_an_old_ask_a_double_send_and_a_stop(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    ict = Chat(bot, ICT)
    await ict.click(START, token=False)
    await walk(ChatAsking(ict), CHECK, until="location")
    await ict.click(START, token=False)  # the ask's button again, mid-check: where they are
    ict.assert_asked("location")
    rest = {k: v for k, v in CHECK.items() if list(CHECK).index(k) >= 2}
    await walk(ChatAsking(ict), rest)
    summary = ict.question.token
    await ict.click("__submit")
    await ict.click("__submit", token=summary)  # a double click on Send
    assert len(await stored(bot)) == 1

    # Stopped with nothing failed: nothing kept.
    await ict.click(START, token=False)
    await walk(ChatAsking(ict), CHECK, until="result_csam")
    await ict.send("cancel")
    await ict.click("__cancel_yes")
    assert len(await stored(bot)) == 1

    # Stopped after a category was not blocked: kept as far as it went, and reported.
    await ict.click(START, token=False)
    await walk(ChatAsking(ict), {**CHECK, "result_csam": "not_blocked"}, until="result_adult")
    await ict.send("cancel")
    await ict.click("__cancel_yes")
    ict.assert_reply("the check has been recorded as far as you went")
    assert "Nothing was recorded" not in " ".join(ict.texts)
    checks = await stored(bot)
    assert len(checks) == 2 and checks[-1].results["csam"] == "not_blocked"
    assert checks[-1].results["adult"] == "not_tested"
    (report,) = await reports(bot)
    assert report.urgent and checks[-1].report_id == report.id


async def test_help_names_the_check_commands_to_those_who_may_use_them(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    ict = Chat(bot, ICT)
    await ict.send("help")
    ict.assert_reply('"check" records a filtering check')
    staff = Chat(bot, STAFF)
    await staff.send("help")
    assert "filtering check" not in " ".join(staff.texts)


async def test_a_checks_text_moved_from_another_row_is_not_shown(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    ict = Chat(bot, ICT)
    await checked(bot, ict, CHECK)
    await checked(bot, ict, {**CHECK, "device": "Staff laptop 3"})
    async with bot.router.sessions() as session, session.begin():
        first, second = list(
            await session.scalars(select(FilteringCheck).order_by(FilteringCheck.id))
        )
        second.text_enc = first.text_enc
    async with bot.router.sessions() as session:
        day = bot.router.clock().date()
        records = await checks_between(session, first=day, last=day, cipher=bot.cipher)
    assert [r.device for r in records] == ["Pupil laptop 12", "(cannot be shown)"]
