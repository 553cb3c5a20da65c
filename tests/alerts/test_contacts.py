"""The contacts beyond the school, where they help: the reporter's confirmation, an alert sent
outside school hours, and the form that closes a case (the school file's, with the national
routes' public numbers as defaults)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.cases import referral_contacts
from bot.school.config import load_school_config
from storage.models import Report
from tests.conftest import EXAMPLE_CONFIG
from tests.support.alerts import DSL, HEAD, file_concern
from tests.support.harness import Chat
from tests.support.reports import only_report
from tests.support.walk import STAFF, cyberbullying_concern, start, walk_to_summary

STILL_WORRIED = (
    "If you are still worried, speak to the DSL or a deputy in person; if a child is at risk "
    "and you cannot reach them, anyone can call children's social care on 01632 960006 "
    "(Example Borough Children's Front Door); outside office hours, on "
    "01632 960008. If a child is in immediate danger, call 999."
)


async def test_the_confirmation_says_whom_to_call_if_a_child_is_at_risk(make_bot):
    bot = await make_bot()
    chat = await file_concern(bot)
    (confirmation, *_) = await chat.receipt()
    assert confirmation.text.startswith("Sent. Your reference is")
    assert confirmation.text.endswith(STILL_WORRIED)


async def test_without_social_care_in_the_file_the_confirmation_names_the_nspcc(
    make_bot, school_with
):
    bot = await make_bot(school_config=school_with(contacts={}))
    chat = await file_concern(bot, danger="yes")
    (confirmation, *_) = await chat.receipt()
    assert "marked URGENT" in confirmation.text
    assert confirmation.text.endswith(
        "If you are still worried, speak to the DSL or a deputy in person; if a child is at "
        "risk and you cannot reach them, anyone can call the NSPCC helpline on 0808 800 5000 "
        "for advice, and it can pass the concern on. If a child is in immediate danger, call 999."
    )


async def test_an_alert_outside_school_hours_shows_social_care_out_of_hours(
    make_bot, channel, clock
):
    clock.now = clock.now.replace(hour=21)  # 21:00 in November: after school
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    await bot.dispatcher.deliver_due()
    text = channel.cards(DSL)[0].text or ""
    assert "outside school hours" in text
    assert (
        "• Example Borough Children's Front Door: 01632 960006; outside office hours: 01632 960008"
    ) in text
    assert "• Police, not an emergency: 101" in text
    assert "• Example Police Public Protection Team: 01632 960001" in text
    assert "NSPCC helpline (advice for adults worried about a child): 0808 800 5000" in text
    assert "ceop" not in text.lower()  # a scam: not a route for it


async def test_an_alert_in_school_hours_lists_no_contacts(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    await file_concern(bot)
    await bot.dispatcher.deliver_due()
    assert "960006" not in (channel.cards(DSL)[0].text or "")


async def test_the_closing_form_shows_the_contacts_its_decision_may_need(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk_to_summary(chat, cyberbullying_concern("Name-calling in the group chat.", "now"))
    await chat.click("__submit")
    dsl = Chat(bot, DSL)

    await dsl.click(f"case:close:{(await only_report(bot)).id}")

    (contacts,) = [n for n in dsl.notices() if n.text.startswith("Contacts for this case")]
    lines = contacts.text.splitlines()
    assert lines[1:5] == [
        "• Example Borough Children's Front Door: 01632 960006; outside office hours: 01632 960008",
        "• Police, in an emergency: 999",
        "• Police, not an emergency: 101",
        "• Example Police Public Protection Team: 01632 960001",
    ]
    assert (
        "• Report Harmful Content (harmful but legal content a platform has not removed): "
        "https://reportharmfulcontent.com/" in lines
    )
    assert lines[-1].endswith(
        "0808 800 5000, https://www.nspcc.org.uk/keeping-children-safe/reporting-abuse/report/"
    )
    assert not any("LADO" in line for line in lines)  # not an allegation
    dsl.assert_asked("decision")  # the form itself starts as before


async def test_closing_an_allegation_shows_the_lado(make_bot):
    bot = await make_bot()
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who="Tom Brannigan")
    head = Chat(bot, HEAD)
    await head.click(f"case:close:{(await only_report(bot)).id}")
    head.assert_reply("• Example Borough Council LADO: 01632 960005")


def _report(**fields: object) -> Report:
    now = datetime(2026, 11, 24, 21, tzinfo=UTC)
    return Report(kind="concern", allegation=False, created_at=now, **fields)


def test_each_kind_of_case_gets_its_routes() -> None:
    school = load_school_config(EXAMPLE_CONFIG)

    def shown(**fields: object) -> str:
        return "\n".join(referral_contacts.out_of_hours_lines(school, _report(**fields)))

    grooming = shown(category="contact", subcategory="grooming")
    assert "https://www.ceop.police.uk/safety-centre/" in grooming
    assert "iwf" not in grooming
    image = shown(category="image")
    assert "https://www.ceop.police.uk/safety-centre/" in image
    assert "https://report.iwf.org.uk/" in image
    assert "• Example Borough Council Prevent Team: 01632 960007" in shown(
        category="radicalisation"
    )
    assert "Prevent" not in shown(category="commerce", subcategory="scam")


def test_sextortion_gets_ceop_and_the_iwf_from_every_category() -> None:
    # The NCA's 2024 alert: report it (CEOP) and get the images taken down (the IWF's Report
    # Remove); sextortion can be reported as contact, commerce or conduct (issue 15, point 3).
    school = load_school_config(EXAMPLE_CONFIG)
    for category in ["contact", "commerce", "conduct"]:
        report = _report(category=category, subcategory="sextortion")
        shown = "\n".join(referral_contacts.out_of_hours_lines(school, report))
        assert "https://www.ceop.police.uk/safety-centre/" in shown, category
        assert "https://report.iwf.org.uk/" in shown, category


def test_a_missing_local_contact_is_named_on_the_closing_form(tmp_path) -> None:
    from tests.conftest import example_config_with

    school = load_school_config(example_config_with(tmp_path, contacts={}))
    (notice,) = referral_contacts.close_form(school, _report(category="radicalisation"))
    text = getattr(notice, "text", "")
    assert (
        "• Children's social care (front door, MASH): not in the school file (add it as "
        "contacts.childrens_social_care)" in text
    )
    assert "• The local Prevent team: not in the school file (add it as contacts.prevent)" in text
