"""The concern flow's common questions: handling a disclosure, whether the child is safe to go
home, other children at risk, who else was told (never the parents by the reporter), the
reporter's role, the two times, and the reporter's opinion kept apart from the facts.

Through the real router and storage, on SQLite and PostgreSQL (issue 15, points 1, 2 and 8).
"""

from __future__ import annotations

from bot.words.strings import URGENT_REASONS
from tests.support.harness import Chat
from tests.support.reports import all_reports, answers_of, only_report
from tests.support.walk import (
    CONCERN_TAIL,
    DISCLOSED_TAIL,
    STAFF,
    Answer,
    ChatAsking,
    start,
    walk,
    walk_to_summary,
)

HEAD: dict[str, Answer] = {
    "immediate_danger": "no",
    "category": "cyberbullying",
    "bullying_repeated": "yes",
    "bullying_evidence": "kept",
    "bullying_illegal": "no",
}


async def test_a_disclosure_shows_the_rules_first_and_records_what_was_asked(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {**HEAD, **CONCERN_TAIL, **DISCLOSED_TAIL, "told_next_steps": "no"}

    await walk(ChatAsking(chat), answers, until="child_words", in_order=False)
    # The rules come with the question, before the reporter writes anything.
    rules = (chat.question.guidance or "").casefold()
    for rule in [
        "do not promise to keep it a secret",
        "do not ask leading questions",
        "write down the questions you did ask",
        "tell the child who you will tell and what happens next",
    ]:
        assert rule in rules, rules
    await chat.send(str(answers["child_words"]))
    chat.assert_asked("questions_asked")
    await chat.send(str(answers["questions_asked"]))
    chat.assert_asked("told_next_steps")
    await chat.click("no")
    chat.assert_reply("tell them now")  # what to do when the child was not told
    asked = await walk_to_summary(chat, answers)
    assert asked[0] == "child_self_harm"
    await chat.click("__submit")

    report = await only_report(bot)
    stored = await answers_of(bot, report)
    assert stored["child_words"] == "He said he would post my photo."
    assert stored["questions_asked"] == "None: I only listened."
    assert stored["told_next_steps"] == "no"
    assert (report.urgent, report.urgent_reasons) == (False, None)


async def test_no_disclosure_asks_none_of_the_disclosure_questions(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    asked = await walk(ChatAsking(chat), {**HEAD, **CONCERN_TAIL})
    assert asked == [*HEAD, *CONCERN_TAIL]
    for step in ["child_words", "questions_asked", "told_next_steps", "child_self_harm"]:
        assert step not in asked


async def test_not_safe_to_go_home_today_makes_the_report_urgent_at_once(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {**HEAD, **CONCERN_TAIL, "safe_home": "no"}
    await walk(ChatAsking(chat), answers, until="safe_home")
    assert chat.question.text == "Is the child safe to go home today?"
    assert await all_reports(bot) == []

    await chat.click("no")

    report = await only_report(bot)  # stored and alerted at once, before the end
    assert (report.status, report.urgent, report.urgent_reasons) == (
        "in_progress",
        True,
        ["unsafe_home"],
    )
    chat.assert_reply("before the child goes home")
    urgent = " ".join(n.text for n in chat.notices("urgent"))
    assert URGENT_REASONS["unsafe_home"] in urgent
    chat.assert_asked("others_at_risk")
    await walk_to_summary(chat, answers)
    await chat.click("__submit")
    final = await only_report(bot)
    assert (final.status, final.urgent_reasons) == ("submitted", ["unsafe_home"])
    assert (await answers_of(bot, final))["safe_home"] == "no"


async def test_not_knowing_whether_the_child_is_safe_says_to_tell_the_dsl_today(make_bot):
    # "I don't know" is not urgent by itself (most reporters cannot know): it says what to do.
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {**HEAD, **CONCERN_TAIL, "safe_home": "unsure"}
    await walk(ChatAsking(chat), answers, until="safe_home")
    await chat.click("unsure")
    warning = " ".join(n.text for n in chat.notices("warning"))
    assert "in person before the child goes home today" in warning
    await walk_to_summary(chat, answers)
    await chat.click("__submit")
    report = await only_report(bot)
    assert (report.urgent, (await answers_of(bot, report))["safe_home"]) == (False, "unsure")


async def test_other_children_at_risk_who_else_was_told_and_the_role_are_recorded(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {
        **HEAD,
        **CONCERN_TAIL,
        "others_at_risk": "yes",
        "others_at_risk_who": "AB's younger brother (Year 2); the rest of the group chat.",
        "others_told": "The class teacher and the TA.",
        "reporter_role": "Teaching assistant, Year 5",
    }
    asked = await walk(ChatAsking(chat), answers, until="others_told", in_order=False)
    assert asked[-2:] == ["others_at_risk", "others_at_risk_who"]
    assert chat.question.text == "Who else have you told?"
    guidance = chat.question.guidance or ""
    assert "Do not contact the parents" in guidance and "the DSL decides" in guidance
    await walk_to_summary(chat, answers)
    await chat.click("__submit")

    report = await only_report(bot)
    stored = await answers_of(bot, report)
    assert stored["others_at_risk"] == "yes"
    assert stored["others_at_risk_who"] == answers["others_at_risk_who"]
    assert stored["others_told"] == "The class teacher and the TA."
    assert stored["reporter_role"] == "Teaching assistant, Year 5"
    assert report.urgent is False  # others at risk: the DSL weighs it, it does not page


async def test_when_it_happened_and_when_you_found_out_are_two_answers(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {**HEAD, **CONCERN_TAIL, "happened_at": "20/11/2026 21:00"}
    await walk(ChatAsking(chat), answers, until="happened_at", in_order=False)
    assert "found out" not in chat.question.text  # one time per question
    await chat.send("20/11/2026 21:00")
    chat.assert_asked("found_out_at")
    assert chat.question.text == "When did you find out about it?"
    await walk_to_summary(chat, answers)
    await chat.click("__submit")

    stored = await answers_of(bot, await only_report(bot))
    assert stored["happened_at"] == "2026-11-20T21:00:00+00:00"
    assert stored["found_out_at"] == "2026-11-23T15:30:00+00:00"


async def test_the_reporters_opinion_is_its_own_optional_box_after_the_facts(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    opinion = "I think this has been going on for weeks; AB has seemed withdrawn."
    answers = {**HEAD, **CONCERN_TAIL, "your_concerns": opinion}
    asked = await walk(ChatAsking(chat), answers, until="your_concerns", in_order=False)
    assert asked[-1] == "what_happened"  # straight after the facts
    spec = bot.router.flows["concern"].spec
    assert spec.step("your_concerns").label == "Your concerns (your opinion)"
    assert spec.step("what_happened").label == "What happened"  # the facts, apart
    assert chat.question.required is False
    await walk_to_summary(chat, answers)
    await chat.click("__submit")
    stored = await answers_of(bot, await only_report(bot))
    assert stored["your_concerns"] == opinion
    assert stored["what_happened"] == CONCERN_TAIL["what_happened"]

    skipped = Chat(bot, "s.nakamura@example.org")
    await start(skipped, "concern")
    await walk_to_summary(skipped, {**HEAD, **CONCERN_TAIL})  # your_concerns: skip
    await skipped.click("__submit")
    second = (await all_reports(bot))[-1]
    assert (await answers_of(bot, second)).get("your_concerns") is None
