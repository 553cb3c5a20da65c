"""Allegations, low-level concerns and self-reports about adults at school (KCSIE 2025 part 4).

After "is it about an adult at school?", the reporter says which it is: something that may meet
the harm threshold (an allegation, today's route), a low-level concern, or a report about
themselves. Each is walked through the real router, outbox and dispatcher, on both databases:
who is alerted and who never is, what is stored, and where the case is listed (a low-level
concern in its own log, never among the open cases).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cases.scheduled import sweep_alerts
from bot.school.config import SchoolConfigError, load_school_config
from bot.words import strings
from tests.conftest import example_config_with
from tests.support.alerts import CHAIR, DEPUTIES, DSL, HEAD, outbox
from tests.support.harness import Chat
from tests.support.reports import event_kinds, only_report
from tests.support.walk import CONCERN_TAIL, STAFF, ChatAsking, start, walk, walk_to_summary

OSEI = "d.osei@example.org"  # a deputy DSL: the adult concerned in most of these
ABOUT_OSEI = {"about_adult": "yes", "adult_is_head": "no", "adult_who": "Mr Osei"}
FIRST = {"immediate_danger": "no", "category": "commerce", "commerce_kind": "scam"}
LOG = "low-level concerns"


async def file_as(bot, email: str = STAFF, *, danger: str = "no", **extra) -> list[str]:
    """File a concern as `email` through the test channel; return the steps asked."""
    chat = Chat(bot, email)
    await start(chat, "concern")
    asked = await walk_to_summary(
        chat, {**FIRST, "immediate_danger": danger, **CONCERN_TAIL, **extra}
    )
    await chat.click("__submit")
    return asked


async def run_for_hours(bot, clock, hours: int = 3) -> None:
    """Every level of the escalation and its repeats."""
    for _ in range(hours * 2):
        await sweep_alerts(bot.jobs)
        clock.advance(minutes=30)


async def listing(bot, email: str, command: str) -> str:
    """What `email` is shown when they type `command` (the open cases, or the log)."""
    chat = Chat(bot, email)
    await chat.send(command)
    return repr(chat.replies)


def alerted(rows, email: str) -> list[tuple[str, int]]:
    return [(r.kind, r.level) for r in rows if r.recipient_email == email and r.kind != "receipt"]


async def test_the_kind_is_asked_after_about_adult_with_the_whistleblowing_route(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    table = {**FIRST, **CONCERN_TAIL, "about_adult": "yes"}
    asked = await walk(ChatAsking(chat), table, until="adult_concern_kind", in_order=False)
    assert asked[-1] == "about_adult"
    question = chat.question
    assert {o.value for o in question.options} == {"harm", "low_level", "self_report", "not_sure"}
    assert "0800 028 0285" in (question.guidance or "")
    assert "help@nspcc.org.uk" in (question.guidance or "")
    assert "Do not investigate" in (question.guidance or "")
    assert "do not tell the person" in (question.guidance or "").casefold()
    for example in ("personal phone", "over-friendly", "messag"):
        assert example in question.text, example
    assert "not sure" in (question.hint or "") and "allegation" in (question.hint or "")


async def test_a_low_level_concern_goes_to_the_head_and_into_its_own_log(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    await file_as(bot, **ABOUT_OSEI, adult_concern_kind="low_level")
    await run_for_hours(bot, clock)
    report = await only_report(bot)
    assert report.allegation and report.allegation_kind == "low_level"
    assert not report.urgent

    rows = await outbox(bot)
    assert alerted(rows, OSEI) == []
    assert OSEI not in channel.recipients() and DSL not in channel.recipients()
    assert ("alert", 0) in alerted(rows, HEAD)
    fields = {f.label: f.value for f in channel.cards(HEAD)[0].fields}
    assert fields[strings.LOW_LEVEL_CARD] == strings.LOW_LEVEL_CARD_NOTE
    assert "Daniel Osei" in fields[strings.LEFT_OUT]
    assert report.reference is not None
    assert report.reference in await listing(bot, HEAD, LOG)
    assert report.reference not in await listing(bot, HEAD, "cases")
    assert strings.NO_OPEN_CASES in await listing(bot, HEAD, "cases")
    for who in (OSEI, DSL):
        assert report.reference not in await listing(bot, who, LOG)
        assert report.reference not in await listing(bot, who, "cases")
    assert strings.LOW_LEVEL_NOT_ALLOWED in await listing(bot, OSEI, LOG)
    assert strings.LOW_LEVEL_NOT_ALLOWED in await listing(bot, STAFF, LOG)
    osei = Chat(bot, OSEI)
    await osei.click(f"case:view:{report.id}")
    osei.assert_reply(strings.NOT_ALLOWED[:30])
    assert "refused" in await event_kinds(bot, report)


async def test_a_low_level_concern_is_not_counted_as_a_waiting_case(make_bot, channel):
    """The head is not told of a low-level concern as a waiting case on opening the chat."""
    bot = await make_bot(notifiers={"test": channel})
    await file_as(bot, **ABOUT_OSEI, adult_concern_kind="low_level")
    head = Chat(bot, HEAD)
    await head.open()
    assert "case(s) are waiting" not in repr(head.replies)


async def test_with_the_dsl_setting_a_low_level_concern_goes_to_the_dsl(
    make_bot, channel, clock, school_with
):
    config = school_with(allegations__low_level_concerns_to="dsl")
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    await file_as(bot, **ABOUT_OSEI, adult_concern_kind="low_level")
    await bot.dispatcher.deliver_due()
    assert channel.recipients() == {DSL}
    await run_for_hours(bot, clock)
    assert OSEI not in channel.recipients()
    report = await only_report(bot)
    assert report.reference is not None
    assert report.reference in await listing(bot, DSL, LOG)
    assert report.reference not in await listing(bot, DSL, "cases")
    assert report.reference not in await listing(bot, OSEI, LOG)


async def test_with_the_dsl_setting_one_about_the_dsl_goes_to_the_head(
    make_bot, channel, clock, school_with
):
    config = school_with(allegations__low_level_concerns_to="dsl")
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    about_dsl = {**ABOUT_OSEI, "adult_who": "Mrs Hartley"}
    await file_as(bot, **about_dsl, adult_concern_kind="low_level")
    await run_for_hours(bot, clock)
    assert DSL not in channel.recipients()
    assert HEAD in channel.recipients()
    report = await only_report(bot)
    assert report.reference not in await listing(bot, DSL, LOG)
    assert report.reference in await listing(bot, HEAD, LOG)


async def test_with_the_dsl_setting_an_unidentified_adult_goes_to_the_head_alone(
    make_bot, channel, clock, school_with
):
    """Whom it is about is not known: it may be the DSL, so only the head has it."""
    config = school_with(allegations__low_level_concerns_to="dsl")
    bot = await make_bot(notifiers={"test": channel}, school_config=config)
    about_someone = {**ABOUT_OSEI, "adult_who": "a new lunchtime supervisor"}
    await file_as(bot, **about_someone, adult_concern_kind="low_level")
    await run_for_hours(bot, clock)
    assert channel.recipients() == {HEAD}


@pytest.mark.parametrize("kind", ["harm", "not_sure"])
async def test_an_allegation_or_not_sure_keeps_the_allegations_route(
    make_bot, channel, clock, kind
):
    bot = await make_bot(notifiers={"test": channel})
    await file_as(bot, **ABOUT_OSEI, adult_concern_kind=kind)
    await sweep_alerts(bot.jobs)
    assert channel.recipients() == {HEAD}
    clock.advance(hours=2)
    await sweep_alerts(bot.jobs)
    assert channel.recipients() == {HEAD, CHAIR}
    report = await only_report(bot)
    assert report.allegation and report.allegation_kind == kind
    assert report.reference is not None
    assert report.reference in await listing(bot, HEAD, "cases")
    assert report.reference not in await listing(bot, HEAD, LOG)


async def test_an_urgent_report_is_never_a_low_level_concern(make_bot, channel, clock):
    """Someone in immediate danger and "low-level" contradict each other: the safer route."""
    bot = await make_bot(notifiers={"test": channel})
    await file_as(bot, danger="yes", **ABOUT_OSEI, adult_concern_kind="low_level")
    await run_for_hours(bot, clock)
    report = await only_report(bot)
    assert report.urgent and report.allegation_kind == "low_level"
    assert report.reference is not None
    assert report.reference in await listing(bot, HEAD, "cases")
    assert report.reference not in await listing(bot, HEAD, LOG)
    rows = await outbox(bot)
    assert [(k, lv) for k, lv in alerted(rows, OSEI) if k == "alert" and lv > 0] == []


@pytest.mark.parametrize(("reporter", "handler"), [(STAFF, HEAD), (DSL, HEAD), (HEAD, CHAIR)])
async def test_a_self_report_goes_to_the_head_never_back_to_the_reporter_alone(
    make_bot, channel, clock, reporter, handler
):
    """Whoever reports themselves is the adult concerned: they get their receipt, never the
    case; the head takes it (the chair, when the head reports themselves)."""
    bot = await make_bot(notifiers={"test": channel})
    asked = await file_as(
        bot, reporter, about_adult="yes", adult_concern_kind="self_report", adult_is_head="no"
    )
    assert "adult_concern_kind" in asked
    assert "adult_who" not in asked and "adult_is_head" not in asked
    await run_for_hours(bot, clock)
    report = await only_report(bot)
    assert report.allegation and report.allegation_kind == "self_report"
    assert report.reporter_email == reporter
    assert handler in channel.recipients()
    assert reporter not in channel.recipients()
    fields = {f.label: f.value for f in channel.cards(handler)[0].fields}
    assert fields[strings.LOW_LEVEL_CARD] == strings.SELF_REPORT_CARD_NOTE
    assert "reported it about themselves" in fields[strings.LEFT_OUT]
    assert alerted(await outbox(bot), reporter) == []
    assert report.reference is not None
    viewer = Chat(bot, handler)
    await viewer.click(f"case:view:{report.id}")
    assert CONCERN_TAIL["what_happened"] in repr(viewer.replies)
    them = Chat(bot, reporter)
    await them.click(f"case:view:{report.id}")
    them.assert_reply(strings.NOT_ALLOWED[:30])
    if reporter == DSL:
        assert not DEPUTIES & channel.recipients()


def test_the_setting_takes_only_the_head_or_the_dsl(tmp_path: Path) -> None:
    assert load_school_config(example_config_with(tmp_path)).allegations.low_level_concerns_to == (
        "headteacher"
    )
    bad = example_config_with(tmp_path, allegations__low_level_concerns_to="deputy")
    with pytest.raises(SchoolConfigError, match="low_level_concerns_to"):
        load_school_config(bad)
