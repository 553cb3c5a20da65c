"""A "No" to knowing the online safety lead, or to knowing what to do when a pupil raises a
concern, is answered at once: the person is told who the DSL and deputies are (from the school's
file) and how to report a concern (policy Appendix 1; KCSIE: every member of staff should know
who the DSL is and how to report)."""

from __future__ import annotations

from sqlalchemy import select

from bot.audit import campaigns
from storage.models import AuditParticipant
from tests.support.harness import Chat

STAFF, DSL = "t.brannigan@example.org", "a.hartley@example.org"
NAMES = ("Alice Hartley", "Daniel Osei", "Petra Lindqvist")


def shown(chat: Chat) -> str:
    return " ".join(
        str(getattr(m, "text", "") or "") + " " + str(getattr(m, "title", "") or "")
        for m in chat.replies
    )


async def start(make_bot):  # type: ignore[no-untyped-def]
    bot = await make_bot()
    await Chat(bot, DSL).send("audit start")
    staff = Chat(bot, STAFF)
    await staff.send("audit")
    assert staff.step == "knows_lead", shown(staff)
    return bot, staff


async def stored(bot, email: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    async with bot.router.sessions() as session:
        person = await session.scalar(
            select(AuditParticipant).where(AuditParticipant.email == email)
        )
        assert person is not None
        return campaigns.saved_answers(bot.router.cipher, person)


async def test_no_to_knowing_the_lead_names_the_dsl_and_deputies_and_how_to_report(make_bot):
    bot, staff = await start(make_bot)
    await staff.click("no")
    text = shown(staff)
    assert all(name in text for name in NAMES), text
    assert '"report"' in text
    assert staff.step == "knows_lead_comment"  # and the audit carries on
    assert (await stored(bot, STAFF))["knows_lead"] == "no"


async def test_no_to_a_pupils_concern_says_how_to_report(make_bot):
    bot, staff = await start(make_bot)
    await staff.click("yes")
    assert "Alice Hartley" not in shown(staff)  # a "Yes" is not told
    await staff.click("__skip")
    assert staff.step == "pupil_concern"
    await staff.click("no")
    text = shown(staff)
    assert "Alice Hartley" in text and '"report"' in text, text
    assert staff.step == "pupil_concern_comment"
    assert (await stored(bot, STAFF))["pupil_concern"] == "no"


async def test_a_no_to_another_question_says_nothing_of_the_dsl(make_bot):
    bot, staff = await start(make_bot)
    for _ in range(2):
        await staff.click("yes")
        await staff.click("__skip")
    assert staff.step == "staff_aup"
    await staff.click("no")
    assert "Alice Hartley" not in shown(staff)
    assert staff.step == "staff_aup_comment"
    assert (await stored(bot, STAFF))["staff_aup"] == "no"
