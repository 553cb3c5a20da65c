"""Handling a case, round 2: the DSL changes a report's category, records the actions and
referrals the guidance names (with who authorised a device search, and why parents were not
told), and closes with several decisions, the allegation's outcome, the child's views and a
recorded challenge when the UKCIS criteria applied but nobody was referred. Each branch is
walked by step id; what is stored, the chronology and the export are read back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.cases.export import chronology_record, to_csv
from bot.delivery.messages import Card
from bot.record.events import open_event, record_event
from bot.words import strings
from storage.models import Event
from tests.support.alerts import DSL, HEAD, file_concern, file_filtering_report
from tests.support.harness import Chat
from tests.support.reports import event_kinds, only_report
from tests.support.walk import CONCERN_TAIL, STAFF, Answer, ChatAsking, start, walk, walk_to_summary


async def fill(chat: Chat, answers: dict[str, Answer]) -> None:
    """Answer a case form step by step (each question checked by its step id), then send it."""
    await walk(ChatAsking(chat), answers)
    await chat.click("__submit")
    assert chat.notices("success"), chat.texts  # recorded (each form says what it did)


async def image_concern(bot) -> None:
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers: dict[str, Answer] = {
        "immediate_danger": "no",
        "category": "image",
        "image_rules": "ok",
        "image_device": "secured",
        "device_kept": "Locked in the head's office.",
        "image_seen": "not_seen",
        "image_indicators": ("coercion",),
    }
    await walk_to_summary(chat, {**answers, **CONCERN_TAIL})
    await chat.click("__submit")


async def last_event(bot, kind: str) -> Event:
    async with bot.router.sessions() as session:
        found = await session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id))
        return list(found)[-1]


async def exported(bot, report, who: str = DSL) -> tuple[list[str], str]:
    """The chronology's lines ("What: details") and the CSV, as the export makes them."""
    router = bot.router
    async with router.sessions() as session:
        record = await chronology_record(
            session,
            desk=router.desk,
            cards=router.cases.cards,
            report=report,
            exported_by=who,
            now=router.clock(),
        )
    lines = [f"{line.what}: {line.details}" for line in record.lines]
    return lines, to_csv(record).decode("utf-8-sig")


async def history(chat: Chat, case: int) -> str:
    await chat.click(f"case:view:{case}")
    card = next(r for r in chat.replies if isinstance(r, Card) and r.title == "Chronology")
    return repr(card.fields)


# --- 14. The DSL changes the category; the closing form follows it.


async def test_the_dsl_changes_the_category_and_the_close_form_follows_it(make_bot):
    bot = await make_bot()
    await file_concern(bot)  # commerce: a scam
    report = await only_report(bot)
    card = bot.router.cases.cards.case_card(report, [])
    assert f"case:recategorise:{report.id}" in [a.value for a in card.actions]
    dsl = Chat(bot, DSL)

    await dsl.click(f"case:recategorise:{report.id}")
    dsl.assert_asked("category")
    # The options are the concern flow's own, read from the loaded flow.
    category = bot.router.flows["concern"].spec.step("category")
    assert [o.value for o in dsl.question.options] == [o.value for o in category.options]
    assert [o.label for o in dsl.question.options] == [o.label for o in category.options]
    await fill(dsl, {"category": "image", "reason": "The 'scam' was a demand for nude images."})

    report = await only_report(bot)
    assert (report.category, report.subcategory) == ("image", None)
    event = await last_event(bot, "recategorised")
    assert event.actor_email == DSL
    assert event.detail == {"from": "commerce", "to": "image", "from_subcategory": "scam"}
    assert b"demand for nude" not in (event.detail_enc or b"")  # the reason is sealed
    assert open_event(bot.cipher, event) == {"reason": "The 'scam' was a demand for nude images."}
    assert bot.router.cases.cards.kind_label(report).endswith("Nude or semi-nude image")

    await dsl.click(f"case:close:{report.id}")
    dsl.assert_asked("referral_criteria")  # now an image case: the UKCIS criteria are asked

    change = "Commerce → Nude or semi-nude image"
    assert f"changed the category: {change}" in await history(dsl, report.id)
    lines, csv = await exported(bot, report)
    assert f"Changed the category: {change}: The 'scam' was a demand for nude images." in lines
    assert "Changed the category" in csv and "demand for nude images" in csv


async def test_a_filtering_report_is_changed_to_another_problem_of_its_flow(make_bot):
    bot = await make_bot()
    await file_filtering_report(bot)
    report = await only_report(bot)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:recategorise:{report.id}")
    dsl.assert_asked("problem")
    problem = bot.router.flows["filtering"].spec.step("problem")
    assert [o.value for o in dsl.question.options] == [o.value for o in problem.options]
    await fill(dsl, {"problem": "over_blocked", "reason": "The site was blocked, not open."})
    assert (await only_report(bot)).category == "over_blocked"
    event = await last_event(bot, "recategorised")
    assert (event.detail["from"], event.detail["to"]) == ("harmful_through", "over_blocked")


@pytest.mark.parametrize("verb", ["recategorise", "action", "close"])
async def test_someone_who_does_not_handle_cases_is_refused_and_it_is_recorded(make_bot, verb):
    bot = await make_bot()
    await file_concern(bot)
    report = await only_report(bot)
    staff = Chat(bot, STAFF)
    await staff.click(f"case:{verb}:{report.id}")
    staff.assert_reply(strings.NOT_ALLOWED[:30])
    assert (await event_kinds(bot, report)).count("refused") == 1
    assert (await last_event(bot, "refused")).detail["action"] == verb
    assert (await only_report(bot)).category == "commerce"


async def test_a_closed_case_is_reopened_before_its_category_changes(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    report = await only_report(bot)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:close:{report.id}")
    await fill(
        dsl,
        {
            "decision": ("handled_in_school",),
            "child_views": "skip",
            "support": "skip",
            "reporter_told": "yes",
            "outcome": "Parents told; the app account was closed.",
            "reasons": "Low level, no risk of harm.",
            "child_dob": "skip",
        },
    )
    card = bot.router.cases.cards.case_card(await only_report(bot), [])
    assert f"case:recategorise:{report.id}" not in [a.value for a in card.actions]
    await dsl.click(f"case:recategorise:{report.id}")
    dsl.assert_reply(strings.RECATEGORISE_CLOSED[:30])
    assert "recategorised" not in await event_kinds(bot, report)


# --- 15. Actions and referrals, with who authorised a device search and why parents were not told.


@pytest.mark.parametrize(
    ("action", "follow_up", "answer", "label", "guidance"),
    [
        (
            "device_searched",
            "authorised_by",
            "Martin Fenwick, headteacher",
            "Device searched",
            "Searching, screening and confiscation",
        ),
        (
            "device_confiscated",
            "authorised_by",
            "Martin Fenwick",
            "Device confiscated",
            "headteacher",
        ),
        ("device_stored", "authorised_by", "Alice Hartley, DSL", "Device stored", "headteacher"),
        (
            "parents_not_informed",
            "parents_not_why",
            "Father may be the one sending the messages.",
            "Parents or carers not informed",
            "put the child at risk",
        ),
    ],
)
async def test_an_action_that_needs_more_asks_for_it(
    make_bot, action, follow_up, answer, label, guidance
):
    bot = await make_bot()
    await file_concern(bot)
    report = await only_report(bot)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:action:{report.id}")
    await walk(ChatAsking(dsl), {"action": action}, until=follow_up)
    assert guidance in (dsl.question.guidance or "")
    await fill(
        dsl, {follow_up: answer, "details": "Kept in the office safe.", "done_at": "today 10:00"}
    )

    event = await last_event(bot, "action")
    assert event.detail["action"] == action
    assert open_event(bot.cipher, event) == {
        "details": "Kept in the office safe.",
        follow_up: answer,
    }
    lines, _ = await exported(bot, report)
    (line,) = [x for x in lines if x.startswith("Recorded an action")]
    assert line.startswith(f"Recorded an action: {label}")
    step_label = bot.router.flows["case_action"].spec.step(follow_up).label
    assert f"{step_label}: {answer}" in line


@pytest.mark.parametrize(
    ("action", "label"),
    [
        ("ceop", "Reported to CEOP"),
        ("iwf_report_remove", "IWF / Report Remove"),
        ("social_care_consultation", "advice only"),
        ("early_help", "Early help"),
        ("channel", "Channel"),
        ("platform_report", "Report Harmful Content"),
        ("cp_file_updated", "Child protection file updated"),
        ("cp_file_transferred", "Child protection file transferred"),
        ("support_plan", "Support or safety plan"),
        ("informed_parents", "Informed parents or carers"),
    ],
)
async def test_each_referral_goes_straight_to_its_details(make_bot, action, label):
    bot = await make_bot()
    await file_concern(bot)
    report = await only_report(bot)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:action:{report.id}")
    await fill(dsl, {"action": action, "details": "Ref 123.", "done_at": "today 10:00"})
    assert (await last_event(bot, "action")).detail["action"] == action
    lines, _ = await exported(bot, report)
    assert any(x.startswith("Recorded an action: ") and label in x for x in lines)


async def test_early_help_is_called_family_help_where_the_school_says_so(make_bot, school_with):
    bot = await make_bot(school_config=school_with(family_help=True))
    await file_concern(bot)
    report = await only_report(bot)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:action:{report.id}")
    labels = {o.value: o.label for o in dsl.question.options}
    assert labels["early_help"].startswith("Family help")
    await fill(dsl, {"action": "early_help", "details": "Family hub.", "done_at": "today 10:00"})
    lines, _ = await exported(bot, report)
    assert any(x.startswith("Recorded an action: Family help") for x in lines)


# --- 16. Closing: several decisions, allegations' outcomes, the child's views, the challenge.


async def test_an_image_case_closed_in_school_despite_the_criteria_asks_why_and_records_it(
    make_bot,
):
    bot = await make_bot()
    await image_concern(bot)
    report = await only_report(bot)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:close:{report.id}")
    answers: dict[str, Answer] = {
        "referral_criteria": ("coercion",),
        "decision": ("handled_in_school",),
    }
    await walk(ChatAsking(dsl), answers, until="no_referral_reason")
    assert "UKCIS" in (dsl.question.guidance or "")
    assert "police" in (dsl.question.guidance or "")
    await fill(
        dsl,
        {
            "no_referral_reason": "Both 15; the 'pressure' was a joke, police advised.",
            "child_views": "She wants it dealt with in school.",
            "support": "Weekly check-in with the pastoral lead.",
            "reporter_told": "no",
            "outcome": "Images deleted by both in front of parents.",
            "reasons": "Police advice by phone; no coercion found.",
            "child_dob": "skip",
        },
    )

    event = await last_event(bot, "closed")
    assert event.detail == {
        "decision": ["handled_in_school"],
        "criteria": ["coercion"],
        "reporter_told": "no",
        "no_referral": True,
    }
    sealed = open_event(bot.cipher, event)
    assert sealed["no_referral_reason"].startswith("Both 15")
    assert sealed["child_views"] == "She wants it dealt with in school."
    assert sealed["support"] == "Weekly check-in with the pastoral lead."
    lines, csv = await exported(bot, report)
    (closed,) = [x for x in lines if x.startswith("Closed the case")]
    assert closed.startswith("Closed the case: Handled in school")
    flow = bot.router.flows["case_close"].spec
    assert f"{flow.step('no_referral_reason').label}: Both 15" in closed
    assert f"{flow.step('child_views').label}: She wants it" in closed
    assert f"{flow.step('reporter_told').label}: No" in closed
    assert "Both 15" in csv


async def test_a_referral_closes_without_the_challenge_and_keeps_every_decision(make_bot):
    bot = await make_bot()
    await image_concern(bot)
    report = await only_report(bot)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:close:{report.id}")
    await fill(
        dsl,
        {
            "referral_criteria": ("coercion",),
            "decision": ("referred_police", "referred_social_care", "handled_in_school"),
            "child_views": "skip",
            "support": "skip",
            "reporter_told": "yes",
            "outcome": "Police investigating.",
            "reasons": "Coercion: UKCIS says refer.",
            "child_dob": "skip",
        },
    )
    event = await last_event(bot, "closed")
    assert event.detail["decision"] == [
        "referred_police",
        "referred_social_care",
        "handled_in_school",
    ]
    assert "no_referral" not in event.detail
    lines, _ = await exported(bot, report)
    assert any(
        x.startswith(
            "Closed the case: Referred to the police; Referred to children's social care; "
            "Handled in school"
        )
        for x in lines
    )
    assert "(Referred to the police; " in await history(dsl, report.id)


async def test_an_allegation_is_closed_with_its_kcsie_outcome(make_bot):
    bot = await make_bot()
    await file_concern(bot, about_adult="yes", adult_is_head="no", adult_who="someone on supply")
    report = await only_report(bot)
    head = Chat(bot, HEAD)  # an allegation nobody known is named in goes to the head
    await head.click(f"case:close:{report.id}")
    await walk(
        ChatAsking(head), {"decision": ("lado", "referred_police")}, until="allegation_outcome"
    )
    guidance = head.question.guidance or ""
    assert (
        "Keeping Children Safe in Education" in guidance and "deliberate act to deceive" in guidance
    )
    assert [o.value for o in head.question.options] == [
        "substantiated",
        "unsubstantiated",
        "unfounded",
        "false",
        "malicious",
    ]
    await fill(
        head,
        {
            "allegation_outcome": "unsubstantiated",
            "child_views": "skip",
            "support": "Pastoral support for the pupil.",
            "reporter_told": "yes",
            "outcome": "LADO meeting held; police took no further action.",
            "reasons": "LADO advice.",
            "child_dob": "skip",
        },
    )
    event = await last_event(bot, "closed")
    assert event.detail["allegation_outcome"] == "unsubstantiated"
    assert event.detail["decision"] == ["referred_police", "lado"]  # in the options order
    lines, _ = await exported(bot, report, who=HEAD)
    (closed,) = [x for x in lines if x.startswith("Closed the case")]
    assert "Outcome of the allegation: Unsubstantiated" in closed


async def test_a_concern_about_a_pupil_is_not_asked_an_allegations_outcome(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:close:{(await only_report(bot)).id}")
    asked = await walk(ChatAsking(dsl), {"decision": ("no_further_action",)}, until="child_views")
    assert "allegation_outcome" not in asked and dsl.step == "child_views"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("handled_in_school", "Closed the case: Handled in school"),
        (
            "referred_both",
            "Closed the case: Referred to the police; Referred to children's social care",
        ),
    ],
)
async def test_a_decision_stored_before_it_was_multiple_is_still_read(make_bot, stored, shown):
    bot = await make_bot()
    await file_concern(bot)
    report = await only_report(bot)
    async with bot.router.sessions() as session, session.begin():
        await record_event(
            session,
            kind="closed",
            at=bot.router.clock(),
            actor_email=DSL,
            report_id=report.id,
            detail={"decision": stored, "criteria": []},
        )
    lines, _ = await exported(bot, report)
    assert any(x.startswith(shown) for x in lines)
    dsl = Chat(bot, DSL)
    assert f"({shown.removeprefix('Closed the case: ')})" in await history(dsl, report.id)


# --- Through the web chat's real adapter: the button, the form walked by step id, a refusal.


async def test_in_the_web_chat_the_dsl_changes_the_category_and_staff_cannot(make_bot):
    from tests.alerts.test_export import serve
    from tests.web.chat import WebTab, notices, open_chat

    bot = await make_bot()
    await file_concern(bot)
    report = await only_report(bot)
    async with serve(bot, DSL) as client, open_chat(client) as (chat, _hello, _first):
        frame = await chat.action(f"case:view:{report.id}", token=None)
        buttons = [a["value"] for i in frame["items"] if i["kind"] == "card" for a in i["actions"]]
        assert f"case:recategorise:{report.id}" in buttons
        tab = WebTab(chat, await chat.action(f"case:recategorise:{report.id}", token=None))
        await walk(tab, {"category": "cyberbullying", "reason": "It is a group chat pile-on."})
        await chat.action("__submit")
    assert (await only_report(bot)).category == "cyberbullying"
    assert (await last_event(bot, "recategorised")).detail["to"] == "cyberbullying"

    async with serve(bot, STAFF) as client, open_chat(client) as (chat, _hello, _first):
        frame = await chat.action(f"case:recategorise:{report.id}", token=None)
        assert [n["text"] for n in notices(frame, "error")] == [strings.NOT_ALLOWED]
    assert (await only_report(bot)).category == "cyberbullying"
    assert (await last_event(bot, "refused")).detail["action"] == "recategorise"
