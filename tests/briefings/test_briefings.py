"""Staff briefings with read receipts, through the real router and database (SQLite and
PostgreSQL): the DSL writes one with "brief", the self-audit's campaign machinery asks every
member of staff once, their confirmations and answers are kept, a newcomer in the school file is
given the open briefings, and "briefings" says who has not confirmed and who answered wrongly."""

from __future__ import annotations

import json

import yaml
from sqlalchemy import select

from bot.app import Bot
from bot.audit.questions import open_answers
from bot.audit.scheduled import audit_housekeeping
from bot.delivery.messages import Card, Question
from storage.models import AuditCampaign, AuditMessage, AuditParticipant, Event
from tests.conftest import EXAMPLE_CONFIG, example_config_with
from tests.support.briefings import QUESTIONS, TITLE, brief_answers, write_briefing
from tests.support.harness import Chat
from tests.support.reports import count

STAFF, DSL, HEAD = "t.brannigan@example.org", "a.hartley@example.org", "m.fenwick@example.org"
GOVERNOR, NEWCOMER = "j.whitcombe@example.org", "o.quaye@example.org"


def shown(chat: Chat) -> str:
    return " ".join(
        str(getattr(m, "text", "") or "") + " " + str(getattr(m, "title", "") or "")
        for m in chat.replies
    )


async def briefing(bot: Bot) -> AuditCampaign:
    async with bot.router.sessions() as session:
        (found,) = list(
            await session.scalars(select(AuditCampaign).where(AuditCampaign.kind == "briefing"))
        )
    return found


async def invited(bot: Bot, campaign_id: int) -> list[str]:
    async with bot.router.sessions() as session:
        rows = await session.scalars(
            select(AuditMessage.recipient_email).where(
                AuditMessage.campaign_id == campaign_id, AuditMessage.kind == "invite"
            )
        )
        return sorted(rows)


def option(chat: Chat, label: str) -> str:
    question = chat.question
    assert isinstance(question, Question)
    (value,) = [o.value for o in question.options if o.label == label]
    return value


async def read_and_answer(
    chat: Chat, campaign: AuditCampaign, answers: list[str], comment: str | None = None
) -> None:
    """A member of staff presses the invitation's button, confirms, answers, and sends; a
    wrong answer is followed by an optional comment (`comment`, or skipped)."""
    await chat.click(f"audit:start:{campaign.id}")
    assert chat.step == "read", shown(chat)
    assert TITLE in shown(chat)
    await chat.click("read")
    for n, label in enumerate(answers, start=1):
        assert chat.step == f"q{n}", shown(chat)
        await chat.click(option(chat, label))
        right = QUESTIONS[n - 1][1]
        assert right in shown(chat)  # the right answer is shown after each
        if label != right:  # only a wrong answer asks for a comment
            assert chat.step == f"q{n}_comment", shown(chat)
            await (chat.send(comment) if comment else chat.click("__skip"))
    assert chat.step == "summary", shown(chat)
    await chat.click("__submit")


async def test_only_the_dsl_deputies_and_headteacher_may_brief(make_bot):
    bot = await make_bot()
    staff = Chat(bot, STAFF)
    await staff.send("brief")
    assert "Only the DSL" in shown(staff)
    await staff.send("briefings")
    assert "Only the DSL" in shown(staff)
    assert await count(bot, AuditCampaign) == 0
    # "This request has been recorded", as the words say: one entry, its repeat folded in.
    async with bot.router.sessions() as session:
        refusals = list(await session.scalars(select(Event).where(Event.kind == "refused")))
    assert [(e.actor_email, (e.detail or {}).get("action")) for e in refusals] == [(STAFF, "brief")]
    head = Chat(bot, HEAD)
    await head.send("brief")
    assert head.step == "template"


async def test_a_briefing_asks_every_member_of_staff_once(make_bot):
    bot = await make_bot()
    dsl = Chat(bot, DSL)
    await write_briefing(dsl)
    assert "on its way to 10 members of staff" in shown(dsl)
    campaign = await briefing(bot)
    assert campaign.title == TITLE
    staff = sorted(p.email for p in bot.school.people if not p.governor_only)
    assert await invited(bot, campaign.id) == staff
    assert GOVERNOR not in staff
    await write_briefing(dsl)  # the same briefing again: nobody is asked twice
    assert await invited(bot, campaign.id) == staff
    assert await count(bot, AuditCampaign) == 1
    # A briefing is not the self-audit: staff asking for theirs are told none is open, and the
    # DSL can still start the year's audit.
    member = Chat(bot, STAFF)
    await member.send("audit")
    assert "no self-audit open" in shown(member)
    await dsl.send("audit start")
    assert "has started" in shown(dsl)
    assert await count(bot, AuditCampaign) == 2


async def test_confirmations_and_answers_are_kept_and_reported(make_bot, clock):
    bot = await make_bot()
    await write_briefing(Chat(bot, DSL))
    campaign = await briefing(bot)
    right = [q[1] for q in QUESTIONS]
    await read_and_answer(Chat(bot, STAFF), campaign, right)
    await read_and_answer(
        Chat(bot, "s.nakamura@example.org"),
        campaign,
        ["Nobody", "No"],
        comment="I thought the class teacher dealt with it.",
    )
    async with bot.router.sessions() as session:
        people = {p.email: p for p in await session.scalars(select(AuditParticipant))}
    comment = open_answers(bot.cipher, people["s.nakamura@example.org"])["q1_comment"]
    assert comment == "I thought the class teacher dealt with it."
    me = people[STAFF]
    assert me.status == "finished" and me.finished_at == clock()
    answers = open_answers(bot.cipher, me)
    assert answers["read"] == "read"
    assert b"read" not in (me.answers_enc or b"")  # sealed

    dsl = Chat(bot, DSL)
    await dsl.send("briefings")
    report = shown(dsl)
    assert TITLE in report
    assert "2 of 10 confirmed" in report
    not_confirmed = [p.name for p in bot.school.people if not p.governor_only]
    for name in not_confirmed:
        if name not in {"Tom Brannigan", "Sophie Nakamura"}:
            assert name in report
    # The wrong answer is a training need, named; the right ones are not listed.
    assert "Sophie Nakamura" in report and "answered Nobody" in report
    assert "I thought the class teacher dealt with it." in report  # with their comment
    assert "Tom Brannigan" not in report


async def test_a_newcomer_in_the_school_file_is_given_the_open_briefing(make_bot, tmp_path):
    people = yaml.safe_load(EXAMPLE_CONFIG.read_text())["people"]
    before = [p for p in people if p["email"] != NEWCOMER]
    (tmp_path / "before").mkdir()
    bot = await make_bot(school_config=example_config_with(tmp_path / "before", people=before))
    await write_briefing(Chat(bot, DSL))
    campaign = await briefing(bot)
    assert NEWCOMER not in await invited(bot, campaign.id)
    # They join: the school file names them, and the bot is restarted with it.
    bot = await make_bot()
    assert bot.audit is not None
    await audit_housekeeping(bot.audit)
    await audit_housekeeping(bot.audit)  # again: still once
    staff = sorted(p.email for p in bot.school.people if not p.governor_only)
    assert await invited(bot, campaign.id) == staff
    # No self-audit was started by it.
    assert await count(bot, AuditCampaign) == 1


async def test_help_names_the_commands_to_those_who_may_use_them(make_bot):
    bot = await make_bot()
    dsl, staff = Chat(bot, DSL), Chat(bot, STAFF)
    await dsl.send("help")
    assert '"brief"' in shown(dsl) and '"briefings"' in shown(dsl)
    await staff.send("help")
    assert '"brief"' not in shown(staff)


async def test_a_question_without_a_usable_wrong_answer_is_asked_again(make_bot):
    bot = await make_bot()
    dsl = Chat(bot, DSL)
    await dsl.send("brief")
    answers = brief_answers() | {"q1_wrong": "The DSL"}  # the right answer again: no choice
    for step, given in answers.items():
        assert dsl.step == step
        await (dsl.click(str(given)) if given in {"yes", "no"} else dsl.send(str(given)))
    await dsl.click("__submit")
    assert "Question 1 needs one to four wrong answers" in shown(dsl)
    assert dsl.step == "q1_wrong"
    assert await count(bot, AuditCampaign) == 0
    await dsl.send("Nobody\nA friend")
    assert dsl.step == "summary"  # the rest is kept
    await dsl.click("__submit")
    assert "on its way to 10 members of staff" in shown(dsl)
    assert await count(bot, AuditCampaign) == 1


async def test_the_governors_summary_has_each_briefings_percentage_only(make_bot, clock):
    bot = await make_bot()
    await write_briefing(Chat(bot, DSL))
    campaign = await briefing(bot)
    await read_and_answer(Chat(bot, STAFF), campaign, [q[1] for q in QUESTIONS])
    governor = Chat(bot, GOVERNOR)
    await governor.send("governors' summary")
    (card,) = [r for r in governor.replies if isinstance(r, Card)]
    briefings = [f for f in card.fields if f.label.endswith("Staff briefings")]
    assert [f.value for f in briefings] == ["1 sent: 10% of those asked confirmed (1 of 10)"]
    everything = json.dumps([r.__dict__ for r in governor.replies], default=str)
    assert TITLE not in everything and "Tom Brannigan" not in everything  # numbers only


async def test_a_confirmed_briefing_is_in_the_training_records(make_bot, clock):
    # Policy §11: staff receive "relevant updates as required"; a confirmed briefing is one,
    # recorded with the date it was confirmed, as a finished self-audit is.
    bot = await make_bot()
    await write_briefing(Chat(bot, DSL))
    campaign = await briefing(bot)
    await read_and_answer(Chat(bot, STAFF), campaign, [q[1] for q in QUESTIONS])
    dsl = Chat(bot, DSL)
    await dsl.send("training")
    listed = {f.label: f.value for r in dsl.replies for f in getattr(r, "fields", ())}
    day = clock().strftime("%d/%m/%Y")
    assert f"(last: Staff briefing {day})" in listed["Tom Brannigan"]
    others = [line for name, line in listed.items() if name != "Tom Brannigan"]
    assert others and not any("Staff briefing" in line for line in others)  # only who confirmed


async def test_the_self_audits_metrics_leave_briefings_out(make_bot, clock):
    from aiohttp.test_utils import TestClient, TestServer

    from bot.server import create_app
    from tests.support.notifiers import RecordingChannel
    from tests.test_metrics import scrape, total

    bot = await make_bot()
    await write_briefing(Chat(bot, DSL))
    campaign = await briefing(bot)
    async with bot.router.sessions() as session, session.begin():
        for person in await session.scalars(select(AuditParticipant)):
            person.channel = "test"  # delivered on the recording channel
        await session.execute(
            AuditMessage.__table__.update()
            .where(AuditMessage.campaign_id == campaign.id)
            .values(channel="test")
        )
    channel = RecordingChannel()
    from tests.support.invitations import sender_for

    assert await sender_for(bot, clock, channel).run_until_idle() == 10
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        found = await scrape(client)
    assert total(found, "osbot_audit_messages_sent_total") == 0
    assert total(found, "osbot_audit_participants") == 0


async def test_stopping_keeps_what_was_answered_and_a_closed_briefing_says_so(make_bot, clock):
    bot = await make_bot()
    await write_briefing(Chat(bot, DSL))
    campaign = await briefing(bot)
    staff = Chat(bot, STAFF)
    await staff.click(f"audit:start:{campaign.id}")
    await staff.click("read")
    assert staff.step == "q1"
    await staff.click("__cancel")
    await staff.click("__cancel_yes")
    assert "Briefing paused" in shown(staff) and "self-audit" not in shown(staff)
    await staff.click(f"audit:start:{campaign.id}")  # carried on where they stopped
    assert staff.step == "q1"
    await staff.send("cancel")
    await staff.click("__cancel_yes")
    governor = Chat(bot, GOVERNOR)  # not asked: governors who are not staff
    await governor.click(f"audit:start:{campaign.id}")
    assert "This briefing was not sent to you" in shown(governor)

    assert bot.audit is not None
    clock.advance(days=bot.school.audit.open_days + 1)
    await audit_housekeeping(bot.audit)
    await staff.click(f"audit:start:{campaign.id}")
    assert "This briefing closed" in shown(staff) and staff.step is None
