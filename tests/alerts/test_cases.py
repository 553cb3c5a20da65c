"""Handling a case in chat: notes, actions, closing with reasons, reopening, the lists."""

from __future__ import annotations

from sqlalchemy import select

from bot.delivery.messages import Card
from bot.record.events import open_event
from storage.models import Event
from tests.support.alerts import DSL, file_concern
from tests.support.harness import Chat
from tests.support.reports import event_kinds, only_report
from tests.support.walk import CONCERN_TAIL, STAFF, start, walk_to_summary


async def _image_concern(bot) -> None:
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk_to_summary(
        chat,
        {
            "immediate_danger": "no",
            "category": "image",
            "image_rules": "ok",
            "image_device": "secured",
            "device_kept": "Locked in the office.",
            "image_seen": "not_seen",
            "image_indicators": ("coercion",),
            **CONCERN_TAIL,
        },
    )
    await chat.click("__submit")


async def test_the_dsl_records_notes_actions_and_closes_with_reasons(make_bot):
    bot = await make_bot()
    await _image_concern(bot)
    case = (await only_report(bot)).id
    dsl = Chat(bot, DSL)

    await dsl.click(f"case:ack:{case}")
    await dsl.click(f"case:note:{case}")
    dsl.assert_asked("note")
    await dsl.send("Spoke to the class teacher; pupil is in school today.")
    await dsl.click("__submit")
    dsl.assert_reply("Note saved to case")

    await dsl.click(f"case:action:{case}")
    await dsl.click("police")
    await dsl.send("Called 101, ref 12345; officer to visit.")
    await dsl.send("today 10:00")
    await dsl.click(f"case:close:{case}")  # one case form at a time: nothing is thrown away
    dsl.assert_reply('Please finish "Record an action" first')
    await dsl.click("__submit")

    await dsl.click(f"case:close:{case}")
    dsl.assert_asked("referral_criteria")  # the image case asks which UKCIS criteria applied
    assert "refer to the police" in (dsl.question.guidance or "")
    await dsl.tick("coercion", "under_13")
    await dsl.tick("referred_police")
    await dsl.send("She is frightened and wants it stopped.")
    await dsl.send("Daily check-in with her form tutor.")
    await dsl.click("yes")
    await dsl.send("Police took the device; parents informed.")
    await dsl.send("Coercion and a child under 13: referral required by UKCIS advice.")
    await dsl.click("__skip")  # the child's date of birth (optional)
    await dsl.click("__submit")
    dsl.assert_reply(" closed.")  # "Case <reference> closed."

    report = await only_report(bot)
    assert (report.case_status, report.closed_at) == ("closed", bot.router.clock())
    kinds = await event_kinds(bot, report)
    assert [k for k in kinds if k in {"acknowledged", "note", "action", "closed"}] == [
        "acknowledged",
        "note",
        "action",
        "closed",
    ]
    async with bot.router.sessions() as session:
        closed = await session.scalar(select(Event).where(Event.kind == "closed"))
    assert closed.detail == {
        "decision": ["referred_police"],
        "criteria": ["coercion", "under_13"],
        "reporter_told": "yes",
    }
    assert b"Police took" not in closed.detail_enc  # the reasons are sealed
    assert open_event(bot.cipher, closed)["outcome"].startswith("Police took")

    await dsl.click(f"case:view:{case}")
    history = next(r for r in dsl.replies if isinstance(r, Card) and r.title == "Chronology")
    text = repr(history.fields)
    assert "added a note" in text and "Referred to the police" in text and "closed the case" in text

    await dsl.click(f"case:reopen:{case}")
    await dsl.send("New messages have come to light.")
    await dsl.click("__submit")
    assert (await only_report(bot)).case_status == "acknowledged"
    assert "reopened" in await event_kinds(bot, report)


async def test_a_case_flow_pauses_the_dsls_own_report_and_returns_to_it(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    case = (await only_report(bot)).id
    dsl = Chat(bot, DSL)
    await start(dsl, "filtering")
    await dsl.click("over_blocked")
    dsl.assert_asked("connection")

    await dsl.click(f"case:note:{case}")
    await dsl.send("Checked with the class teacher.")
    await dsl.click("__submit")

    dsl.assert_reply("Back to the report you were writing")
    dsl.assert_asked("connection")  # nothing of their own report was lost


async def test_closing_a_non_image_case_asks_no_referral_criteria(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:close:{(await only_report(bot)).id}")
    dsl.assert_asked("decision")


async def test_the_case_list_and_my_reports(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    await file_concern(bot, danger="yes")
    dsl = Chat(bot, DSL)
    await dsl.send("cases")
    (listing,) = [r for r in dsl.replies if isinstance(r, Card)]
    assert listing.title == "Open cases (2)"
    assert listing.fields[0].value.startswith("URGENT.")  # urgent first
    assert "Awaiting acknowledgement" in listing.fields[1].value

    await dsl.click(f"case:note:{(await bot_report_ids(bot))[0]}")
    await dsl.send("A private note the reporter must not see.")
    await dsl.click("__submit")
    await dsl.click(f"case:ack:{(await bot_report_ids(bot))[0]}")

    staff = Chat(bot, STAFF)
    await staff.send("my reports")
    (mine,) = [r for r in staff.replies if isinstance(r, Card)]
    values = [f.value for f in mine.fields]
    assert any("Seen by the DSL" in v for v in values)
    assert any("waiting for the DSL" in v for v in values)
    assert "private note" not in repr(staff.replies)


async def bot_report_ids(bot) -> list[int]:
    from tests.support.reports import all_reports

    return [r.id for r in await all_reports(bot)]


async def test_opening_the_chat_tells_the_dsl_what_is_waiting(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    dsl = Chat(bot, DSL)
    await dsl.open()
    dsl.assert_reply("1 case(s) are waiting for acknowledgement")
    await dsl.click(f"case:ack:{(await only_report(bot)).id}")
    await dsl.open()
    assert "waiting" not in " ".join(dsl.texts)
    staff = Chat(bot, STAFF)
    await staff.open()
    assert "waiting" not in " ".join(staff.texts)  # only for those who handle cases
