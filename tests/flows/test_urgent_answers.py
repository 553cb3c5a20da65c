"""Every high-risk answer makes the report urgent the moment it is given, and says why.

Through the real router, outbox and dispatcher (SQLite and PostgreSQL); a recording channel
stands in for the chat platform the DSL reads the alert on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.delivery.messages import Card
from bot.reports.service import submit_report
from bot.words.strings import URGENT_REASONS
from dialogs.loader import BUILTIN_FLOWS, load_flows
from storage.models import Outbox, Report
from tests.support.harness import Chat
from tests.support.notifiers import RecordingChannel
from tests.support.reports import all_reports, only_report
from tests.support.walk import CONCERN_TAIL, STAFF, Answer, answer, start, walk_to_summary

DSL = "a.hartley@example.org"
IMAGE: dict[str, Answer] = {
    "immediate_danger": "no",
    "category": "image",
    "image_rules": "ok",
    "image_device": "secured",
    "device_kept": "Locked in the office.",
    "image_seen": "not_seen",
}
CONTENT: dict[str, Answer] = {"immediate_danger": "no", "category": "content"}
DISCLOSED: dict[str, Answer] = {
    "immediate_danger": "no",
    "category": "cyberbullying",
    "bullying_repeated": "yes",
    "bullying_evidence": "kept",
    "bullying_illegal": "no",
    **CONCERN_TAIL,
    "disclosure": "yes",
    "child_words": "She said she can't take it any more and wants it all to stop.",
    "questions_asked": "none",
    "told_next_steps": "yes",
}


@dataclass(frozen=True)
class HighRisk:
    name: str
    flow: str
    before: dict[str, Answer]  # the answers that lead to the high-risk question
    step: str
    answer: Answer
    reason: str  # the code stored with the report
    label: str  # what the alert's URGENT label says
    advice: str  # part of what the reporter is told to do now


CASES = [
    HighRisk(
        "immediate danger",
        "concern",
        {},
        "immediate_danger",
        "yes",
        "immediate_danger",
        "immediate danger reported",
        "Call 999",
    ),
    HighRisk(
        "image: a child at immediate risk",
        "concern",
        IMAGE,
        "image_indicators",
        ("risk_of_harm",),
        "child_at_risk",
        "a child is at immediate risk of harm",
        "Call 999",
    ),
    HighRisk(
        "image: an adult is involved",
        "concern",
        IMAGE,
        "image_indicators",
        ("adult_involved",),
        "adult_involved",
        "an adult is involved",
        "Do not contact",
    ),
    HighRisk(
        "image: sextortion",
        "concern",
        IMAGE,
        "image_indicators",
        ("sextortion",),
        "sextortion",
        "sextortion",
        "not to pay",
    ),
    HighRisk(
        "image: coercion, blackmail or grooming",
        "concern",
        IMAGE,
        "image_indicators",
        ("coercion",),
        "coercion",
        "coercion, blackmail or grooming",
        "Do not contact",
    ),
    HighRisk(
        "image: may show sexual activity, a child under 13",
        "concern",
        IMAGE,
        "image_indicators",
        ("under_13",),
        "under_13",
        "sexual activity involving a child under 13",
        "do not look at the image",
    ),
    HighRisk(
        "image: a child may not be able to consent",
        "concern",
        IMAGE,
        "image_indicators",
        ("capacity",),
        "capacity",
        "a child may not be able to consent",
        "do not look at the image",
    ),
    HighRisk(
        "image: violent or unusual acts",
        "concern",
        IMAGE,
        "image_indicators",
        ("violent",),
        "violent",
        "violent acts, or acts unusual for the child's age",
        "do not look at the image",
    ),
    HighRisk(
        "content: possibly illegal",
        "concern",
        CONTENT,
        "content_kind",
        "possibly_illegal",
        "possibly_illegal",
        "possibly illegal material: do not open",
        "Do not investigate, open or screenshot",
    ),
    HighRisk(
        "contact: sextortion",
        "concern",
        {"immediate_danger": "no", "category": "contact"},
        "contact_kind",
        "sextortion",
        "sextortion",
        "sextortion",
        "not to pay",
    ),
    HighRisk(
        "commerce: sextortion",
        "concern",
        {"immediate_danger": "no", "category": "commerce"},
        "commerce_kind",
        "sextortion",
        "sextortion",
        "sextortion",
        "not to pay",
    ),
    HighRisk(
        "conduct: sextortion",
        "concern",
        {"immediate_danger": "no", "category": "conduct"},
        "conduct_kind",
        "sextortion",
        "sextortion",
        "sextortion",
        "not to pay",
    ),
    HighRisk(
        "contact: grooming still going on",
        "concern",
        {"immediate_danger": "no", "category": "contact", "contact_kind": "grooming"},
        "contact_ongoing",
        "yes",
        "ongoing_contact",
        "the child is still in contact with someone who may be grooming or exploiting them",
        "Do not reply",
    ),
    HighRisk(
        "not safe to go home today",
        "concern",
        {**DISCLOSED, "disclosure": "no"},
        "safe_home",
        "no",
        "unsafe_home",
        "the child may not be safe to go home today",
        "before the child goes home",
    ),
    HighRisk(
        "contact: a planned meeting",
        "concern",
        {
            "immediate_danger": "no",
            "category": "contact",
            "contact_kind": "grooming",
            "contact_ongoing": "no",
        },
        "contact_meeting",
        "yes",
        "planned_meeting",
        "planned meeting with someone met online",
        "Do not contact",
    ),
    HighRisk(
        "content: a child said they want to hurt themselves",
        "concern",
        {**CONTENT, "content_kind": "self_harm"},
        "self_harm_said",
        "yes",
        "self_harm",
        "risk of self-harm",
        "Stay with the child",
    ),
    HighRisk(
        "disclosure: a child said they want to hurt themselves",
        "concern",
        DISCLOSED,
        "child_self_harm",
        "yes",
        "self_harm",
        "risk of self-harm",
        "Stay with the child",
    ),
    HighRisk(
        "filtering: possibly illegal material",
        "filtering",
        {"problem": "harmful_through", "pupil_exposed": "no"},
        "possibly_illegal",
        "yes",
        "possibly_illegal",
        "possibly illegal material: do not open",
        "Do not investigate, open or screenshot",
    ),
]


async def walk_to(chat: Chat, answers: dict[str, Answer], step: str, limit: int = 40) -> None:
    """Answer each question from `answers`, by its step id, until `step` is asked."""
    asked: list[str] = []
    for _ in range(limit):
        if chat.step == step:
            return
        assert chat.step in answers, f"unexpected question {chat.step!r}; asked: {asked}"
        asked.append(str(chat.step))
        await answer(chat, answers[str(chat.step)])
        assert not chat.notices("error"), [n.text for n in chat.notices("error")]
    raise AssertionError(f"{step!r} never asked; asked: {asked}")


async def rows_for(bot, report: Report) -> set[tuple[str, str, int]]:
    async with bot.router.sessions() as session:
        rows = await session.scalars(select(Outbox).where(Outbox.report_id == report.id))
        return {(row.recipient_email, row.kind, row.level) for row in rows}


def fields(card: Card) -> dict[str, str]:
    return {field.label: field.value for field in card.fields}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_a_high_risk_answer_makes_the_report_urgent_at_once(make_bot, case: HighRisk):
    channel = RecordingChannel()
    bot = await make_bot(notifiers={"test": channel})
    chat = Chat(bot, STAFF)
    await start(chat, case.flow)
    await walk_to(chat, case.before, case.step)
    assert await all_reports(bot) == []  # nothing stored before the high-risk answer

    await answer(chat, case.answer)

    # Stored at once, before the report is finished (possibly illegal material behind a
    # filtering failure also files its linked concern: tests/flows/test_filtering_linked_concern)
    (report,) = [r for r in await all_reports(bot) if r.kind == case.flow]
    assert (report.status, report.urgent) == ("in_progress", True)
    assert report.urgent_reasons == [case.reason]
    assert (DSL, "alert", 0) in await rows_for(bot, report)  # the urgent alert plan started
    chat.assert_reply(case.advice)  # what to do now
    urgent = " ".join(n.text for n in chat.notices("urgent"))
    assert case.label in urgent, urgent  # and why the report is urgent
    assert chat.step != case.step  # the questions carry on

    await bot.dispatcher.deliver_due()
    (card,) = [c for c in channel.cards(DSL) if str(report.reference) in c.title]
    assert card.tone == "urgent"
    assert card.title.startswith(f"URGENT ({case.label})"), card.title
    assert fields(card)["Urgency"] == f"URGENT: {case.label}"


async def test_a_second_high_risk_answer_adds_its_reason_to_the_open_report(make_bot):
    channel = RecordingChannel()
    bot = await make_bot(notifiers={"test": channel})
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk_to(chat, {**IMAGE, "immediate_danger": "yes"}, "image_indicators")
    await bot.dispatcher.deliver_due()
    (first,) = channel.cards(DSL)
    assert fields(first)["Urgency"] == "URGENT: immediate danger reported"

    await chat.tick("sextortion", "adult_involved")

    report = await only_report(bot)  # the same case, with the new reasons: not a second report
    assert report.urgent_reasons == ["immediate_danger", "adult_involved", "sextortion"]
    assert (DSL, "update", 1) in await rows_for(bot, report)
    chat.assert_reply("not to pay")
    assert "sextortion" in " ".join(n.text for n in chat.notices("urgent"))
    await bot.dispatcher.deliver_due()
    (update,) = channel.to(DSL, "update")
    (card,) = update.messages
    assert isinstance(card, Card) and card.card_id == first.card_id  # updated in place
    assert fields(card)["Urgency"] == (
        "URGENT: immediate danger reported; an adult is involved; sextortion"
    )
    assert len(channel.to(DSL, "alert")) == 1  # refreshed, not alerted twice


async def test_changing_a_high_risk_answer_keeps_the_report_urgent(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk_to(chat, IMAGE, "image_indicators")
    await chat.tick("sextortion")
    assert (await only_report(bot)).urgent

    await chat.send("back")  # the reporter changes their mind: the DSL was already alerted
    chat.assert_asked("image_indicators")
    await chat.send("skip")
    await walk_to_summary(chat, CONCERN_TAIL)
    await chat.click("__submit")

    await chat.receipt()  # the confirmation, as the reporter's channel is given it
    chat.assert_reply("marked URGENT")
    report = await only_report(bot)
    assert (report.status, report.urgent, report.urgent_reasons) == (
        "submitted",
        True,
        ["sextortion"],
    )


async def test_every_reason_is_kept_when_the_report_is_sent(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers: dict[str, Answer] = {
        **IMAGE,
        "immediate_danger": "yes",
        "image_indicators": ("risk_of_harm", "coercion"),
        **CONCERN_TAIL,
        "disclosure": "yes",
        "child_words": "I want to disappear.",
        "questions_asked": "none",
        "told_next_steps": "yes",
        "child_self_harm": "yes",
    }
    await walk_to_summary(chat, answers)
    await chat.click("__submit")

    report = await only_report(bot)
    assert (report.status, report.urgent) == ("submitted", True)
    assert report.urgent_reasons == ["immediate_danger", "child_at_risk", "coercion", "self_harm"]


async def test_a_report_sent_in_one_go_is_stored_urgent_with_its_reasons(make_bot):
    bot = await make_bot()
    async with bot.router.sessions() as session, session.begin():
        await submit_report(
            session,
            cipher=bot.cipher,
            flow=bot.router.flows["concern"].spec,
            reporter_email=STAFF,
            channel="test",
            answers={"immediate_danger": "no", "category": "content"},
            rows=[],
            signals=["urgent"],
            urgent_reasons=["possibly_illegal", "self_harm", "possibly_illegal"],
            report_id=None,
            now=bot.router.clock(),
        )
    report = await only_report(bot)
    assert (report.status, report.urgent) == ("submitted", True)
    assert report.urgent_reasons == ["possibly_illegal", "self_harm"]


async def test_a_low_risk_answer_leaves_the_report_normal(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {
        "immediate_danger": "no",
        "category": "contact",
        "contact_kind": "stranger",
        "contact_ongoing": "yes",
        "contact_meeting": "no",
        **CONCERN_TAIL,
        "disclosure": "yes",
        "child_words": "He keeps messaging me.",
        "questions_asked": "none",
        "told_next_steps": "no",
        "child_self_harm": "no",
        "safe_home": "unsure",
        "others_at_risk": "yes",
        "others_at_risk_who": "Her sister in Year 3.",
    }
    await walk_to_summary(chat, answers)
    assert await all_reports(bot) == []
    await chat.click("__submit")
    report = await only_report(bot)
    assert (report.urgent, report.urgent_reasons) == (False, None)


async def test_a_schools_own_reason_reads_as_written_on_the_alert(make_bot, tmp_path: Path):
    concern = yaml.safe_load((BUILTIN_FLOWS / "concern.yaml").read_text(encoding="utf-8"))
    (danger,) = [step for step in concern["steps"] if step["id"] == "immediate_danger"]
    danger["on_answer"][0]["reason"] = "weapon_in_school"
    own = tmp_path / "flows"
    own.mkdir()
    (own / "concern.yaml").write_text(yaml.safe_dump(concern), encoding="utf-8")
    channel = RecordingChannel()
    bot = await make_bot(notifiers={"test": channel}, flows_dir=own)
    chat = Chat(bot, STAFF)
    await start(chat, "concern")

    await chat.click("yes")

    chat.assert_reply("marked URGENT (weapon in school)")
    await bot.dispatcher.deliver_due()
    (card,) = channel.cards(DSL)
    assert card.title.startswith("URGENT (weapon in school): Online-safety concern")
    assert fields(card)["Urgency"] == "URGENT: weapon in school"


def test_every_urgent_effect_of_the_builtin_flows_has_a_known_reason() -> None:
    flows = load_flows(BUILTIN_FLOWS)
    reasons = {
        (flow_id, effect.reason)
        for flow_id, loaded in flows.items()
        for step in loaded.spec.steps
        for effect in step.on_answer
        if effect.signal == "urgent"
    }
    assert {reason for _, reason in reasons} <= set(URGENT_REASONS)
    assert ("filtering", "possibly_illegal") in reasons
    assert {r for f, r in reasons if f == "concern"} == set(URGENT_REASONS)
