"""A briefing started from a template (the online-safety policy, KCSIE Part One, a termly
update): the brief flow's first step offers them, or "brief <template>" is typed; the template
fills in the title, the text and the link, and the DSL adds check questions as for their own."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import Bot
from bot.briefings.flow import READ_STEP
from storage.models import AuditCampaign
from tests.conftest import example_config_with
from tests.support.harness import Chat

DSL, STAFF = "a.hartley@example.org", "t.brannigan@example.org"
KCSIE = "https://www.gov.uk/government/publications/keeping-children-safe-in-education--2"
POLICY = "https://school.example/policies/online-safety.pdf"


def shown(chat: Chat) -> str:
    return " ".join(
        str(getattr(m, "text", "") or "") + " " + str(getattr(m, "title", "") or "")
        for m in chat.replies
    )


async def sent(bot: Bot) -> AuditCampaign:
    async with bot.router.sessions() as session:
        (found,) = list(
            await session.scalars(select(AuditCampaign).where(AuditCampaign.kind == "briefing"))
        )
    return found


def guidance(campaign: AuditCampaign) -> str:
    (read,) = [s for s in campaign.flow_spec["steps"] if s["id"] == READ_STEP]
    return str(read["guidance"])


async def add_one_question_and_send(dsl: Chat) -> None:
    assert dsl.step == "add_q1", shown(dsl)
    await dsl.click("yes")
    await dsl.send("Whom do you tell about a concern?")
    await dsl.send("The DSL")
    await dsl.send("Nobody")
    await dsl.click("no")
    assert dsl.step == "summary", shown(dsl)
    await dsl.click("__submit")


async def test_brief_offers_the_templates_first(make_bot):
    bot = await make_bot()
    dsl = Chat(bot, DSL)
    await dsl.send("brief")
    assert dsl.step == "template", shown(dsl)
    for label in ("Write my own", "The online-safety policy", "KCSIE Part One", "A termly update"):
        assert label in [o.label for o in dsl.question.options]
    await dsl.click("own")
    assert dsl.step == "title", shown(dsl)


async def test_kcsie_part_one_fills_in_the_briefing_and_is_sent(make_bot):
    bot = await make_bot()
    dsl = Chat(bot, DSL)
    await dsl.send("brief")
    await dsl.click("kcsie")
    # Title, text and link are filled in: the next question is the first check question.
    await add_one_question_and_send(dsl)
    assert "on its way to 10 members of staff" in shown(dsl)
    campaign = await sent(bot)
    assert "Keeping children safe in education" in campaign.title
    assert "Part One" in campaign.title
    assert KCSIE in guidance(campaign)
    assert "all staff must read" in guidance(campaign)
    assert [s["id"] for s in campaign.flow_spec["steps"]] == [READ_STEP, "q1", "q1_comment"]


async def test_the_policy_template_links_the_schools_policy(make_bot, tmp_path):
    config = example_config_with(tmp_path, briefings__policy_url=POLICY)
    bot = await make_bot(school_config=config)
    dsl = Chat(bot, DSL)
    await dsl.send("brief policy")  # the typed form
    assert dsl.step == "add_q1", shown(dsl)
    await dsl.click("no")
    await dsl.click("__submit")
    campaign = await sent(bot)
    assert "online safety policy" in campaign.title.casefold()
    assert POLICY in guidance(campaign)


async def test_without_a_policy_link_the_policy_template_asks_for_one(make_bot):
    bot = await make_bot()
    dsl = Chat(bot, DSL)
    await dsl.send("brief")
    await dsl.click("policy")
    assert dsl.step == "link", shown(dsl)
    await dsl.send(POLICY)
    await dsl.click("no")
    await dsl.click("__submit")
    assert POLICY in guidance(await sent(bot))


async def test_the_termly_update_leaves_the_text_to_the_dsl(make_bot):
    bot = await make_bot()
    dsl = Chat(bot, DSL)
    await dsl.send("brief update")
    assert dsl.step == "text", shown(dsl)  # the title is filled in; what is new is theirs
    await dsl.send("A new app hides messages behind a calculator.")
    await dsl.click("__skip")  # no link
    await dsl.click("no")
    await dsl.click("__submit")
    campaign = await sent(bot)
    assert "update" in campaign.title.casefold()
    assert "calculator" in guidance(campaign)


async def test_staff_cannot_brief_from_a_template(make_bot):
    bot = await make_bot()
    staff = Chat(bot, STAFF)
    await staff.send("brief kcsie")
    assert "Only the DSL" in shown(staff)
