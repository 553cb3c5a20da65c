"""The annual filtering and monitoring review: opened once on its day (even by two schedulers at
once), its questions pre-filled with the year's figures from the database, answered in chat by
the senior leader or the DSL only, and made into the document for governors (HTML and PDF)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.delivery.messages import Card, Notice
from bot.monitoring import review
from bot.monitoring.review_figures import review_period, year_figures
from storage.models import Event, FilteringReview, Outbox, RefusalTally, Report
from tests.support.harness import Chat
from tests.support.notifiers import RecordingChannel

LEADER = "m.fenwick@example.org"  # the school file's senior leader responsible (headteacher)
DSL = "a.hartley@example.org"
DEPUTY = "d.osei@example.org"
STAFF = "t.brannigan@example.org"
# 15 September 2026, 09:00 in London (BST): the example's review day.
REVIEW_DAY = datetime(2026, 9, 15, 8, 0, tzinfo=UTC)
ANSWERS = {
    "provision": "Example Filtering on every school device and the guest Wi-Fi.",
    "responsibility": "Martin Fenwick (head) and Joanna Whitcombe (governor).",
    "changes": "New Chromebooks for year 5.",
    "checks": "Termly SWGfL tests; one category failed in spring and was fixed.",
    "reports": "<script>alert('x')</script> & more",
    "training": "All staff at the September INSET.",
    "actions": "Add the new devices to monitoring by October.",
}


def _report(kind: str, at: datetime, **fields: object) -> Report:
    return Report(
        kind=kind,
        status="submitted",
        reporter_email=STAFF,
        channel="test",
        flow_id=kind,
        flow_version=1,
        created_at=at,
        updated_at=at,
        submitted_at=at,
        alerted_at=at,
        **fields,
    )


async def _seed(bot) -> None:
    """Known rows: inside the review year (15/09/2025 to 14/09/2026) and either side of it."""
    inside = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday, in school hours
    async with bot.router.sessions() as session, session.begin():
        concern = _report("concern", inside)
        session.add(concern)
        await session.flush()
        session.add_all(
            [
                _report(
                    "filtering",
                    inside,
                    urgent=True,
                    linked_report_id=concern.id,
                    acknowledged_at=inside + timedelta(minutes=4),
                ),
                _report("filtering", inside, acknowledged_at=inside + timedelta(minutes=8)),
                _report("filtering", datetime(2025, 9, 15, 9, 0, tzinfo=UTC)),  # the first day
                _report("filtering", datetime(2025, 9, 14, 12, 0, tzinfo=UTC)),  # the year before
                _report("filtering", datetime(2026, 9, 15, 7, 0, tzinfo=UTC)),  # the next one's
                _report("monitoring_alert", inside),
                _report("monitoring_alert", inside),
            ]
        )
        draft = _report("filtering", inside)
        draft.status, draft.submitted_at = "in_progress", None
        session.add(draft)


async def test_the_figures_are_the_years_records(make_bot, clock) -> None:
    bot = await make_bot()
    await _seed(bot)
    async with bot.router.sessions() as session:
        figures = await year_figures(session, review_period(bot.school, 2026))
    values = {figure.key: figure.value for figure in figures}
    assert values["filtering_reports"] == "3"
    assert values["filtering_urgent"] == "1"
    assert values["linked_concerns"] == "1"
    assert values["concerns"] == "1"
    assert values["reports_monitoring_alert"] == "2"
    # The median of 4 and 8 minutes in school hours; none out of hours.
    assert values["filtering_acknowledge"] == "6 min (in hours), — (out of hours)"


async def test_the_review_opens_once_on_its_day_even_with_two_schedulers(make_bot, clock) -> None:
    channel = RecordingChannel()
    bot = await make_bot(notifiers={"test": channel})
    assert bot.audit is not None and bot.audit.filtering_review is not None
    clock.now = REVIEW_DAY - timedelta(days=1)
    assert await bot.audit.filtering_review() is False  # not its day yet
    clock.now = REVIEW_DAY
    other = await make_bot(notifiers={"test": channel})  # a second scheduler, same database
    assert other.audit is not None and other.audit.filtering_review is not None
    opened = await asyncio.gather(bot.audit.filtering_review(), other.audit.filtering_review())
    assert sorted(opened) == [False, True]
    async with bot.router.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(FilteringReview)) == 1
        invited = set(
            await session.scalars(
                select(Outbox.recipient_email).where(
                    Outbox.kind == review.INVITE, Outbox.channel == "test"
                )
            )
        )
    assert invited == {LEADER, DSL}  # not the deputy, not the governor
    assert len(channel.to(LEADER, review.INVITE)) == len(channel.to(DSL, review.INVITE)) == 1
    (card,) = [m for m in channel.to(DSL)[0].messages if isinstance(m, Card)]
    assert card.actions[0].value.startswith("fmreview:start:")


async def test_the_questions_show_the_figures_and_the_answers_become_the_document(
    make_bot, clock
) -> None:
    channel = RecordingChannel()
    bot = await make_bot(notifiers={"test": channel})
    await _seed(bot)
    clock.now = REVIEW_DAY
    assert bot.audit is not None and bot.audit.filtering_review is not None
    await bot.audit.filtering_review()
    async with bot.router.sessions() as session:
        found = await review.review_for(session, 2026)
    assert found is not None
    chat = Chat(bot, DSL, channel="test")
    await chat.click(f"fmreview:start:{found.id}", token=None)
    assert chat.step == "provision"
    assert any("15/09/2025 to 14/09/2026" in text for text in chat.texts)  # the intro
    for step_id in ("provision", "responsibility", "changes", "checks"):
        assert chat.step == step_id
        if step_id == "responsibility":
            hint = chat.question.hint or ""
            assert "Martin Fenwick" in hint and "Joanna Whitcombe" in hint
        await chat.send(ANSWERS[step_id])
    assert chat.step == "reports"
    hint = chat.question.hint or ""
    assert "Filtering and monitoring problems reported by staff: 3" in hint
    assert "Of these, urgent: 1" in hint
    assert 'Reports of the kind "monitoring alert": 2' in hint
    for step_id in ("reports", "training", "actions"):
        assert chat.step == step_id
        await chat.send(ANSWERS[step_id])
    assert chat.step == "summary"
    await chat.click("__submit")
    (done,) = [r for r in chat.replies if isinstance(r, Card) and r.attachments]
    pdf, html_file, _checks = done.attachments
    assert pdf.data.startswith(b"%PDF") and pdf.media_type == "application/pdf"
    assert pdf.data.rstrip().endswith(b"%%EOF")
    # The PDF's text is compressed and its fonts subset (no text extractor is a dependency):
    # the page WeasyPrint lays out for it is counted instead, and must hold every heading.
    from weasyprint import HTML  # type: ignore[import-untyped]

    laid_out = HTML(string=html_file.data.decode()).render()
    assert len(laid_out.pages) >= 2
    html = html_file.data.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in html
    assert "<script>" not in html
    for heading in (
        "Named roles",
        "The year in figures",
        "What is filtered and monitored",
        "Who is responsible",
        "What changed this year",
        "The checks and their results",
        "Reports and alerts of the year",
        "Training",
        "Actions agreed",
    ):
        assert f"<h2>{heading}</h2>" in html, heading
    async with bot.router.sessions() as session:
        found = await review.review_for(session, 2026)
        assert found is not None and found.status == "completed"
        assert found.completed_by == DSL
        assert review.saved_answers(bot.cipher, found)["reports"] == ANSWERS["reports"]
        assert (
            await session.scalar(
                select(func.count()).where(Event.kind == "filtering_review_completed")
            )
            == 1
        )
    # The senior leader is told it is done, and gets the document by typing the command.
    await bot.dispatcher.deliver_due()  # the outbox, as its loop does after the turn
    (told,) = channel.to(LEADER, review.DONE)
    assert "completed by Alice Hartley" in told.messages[0].text  # type: ignore[union-attr]
    leader = Chat(bot, LEADER, channel="test")
    await leader.send("filtering review")
    (again,) = [r for r in leader.replies if isinstance(r, Card) and r.attachments]
    assert again.attachments[1].data.decode() == html


async def test_only_the_senior_leader_and_the_dsl_may_answer_and_refusals_are_recorded(
    make_bot, clock
) -> None:
    bot = await make_bot()
    clock.now = REVIEW_DAY
    assert bot.audit is not None and bot.audit.filtering_review is not None
    await bot.audit.filtering_review()
    async with bot.router.sessions() as session:
        found = await review.review_for(session, 2026)
    assert found is not None
    for email in (DEPUTY, STAFF, "j.whitcombe@example.org"):
        chat = Chat(bot, email, channel="test")
        await chat.click(f"fmreview:start:{found.id}", token=None)  # an invitation passed on
        assert any(
            isinstance(r, Notice) and "Only the senior leader" in r.text for r in chat.replies
        )
        await chat.send("filtering review")
        assert any(
            isinstance(r, Notice) and "Only the senior leader" in r.text for r in chat.replies
        )
    async with bot.router.sessions() as session:
        refused = set(
            await session.scalars(select(Event.actor_email).where(Event.kind == "refused"))
        )
        tallied = set(await session.scalars(select(RefusalTally.actor_email)))
        found = await review.review_for(session, 2026)
    assert {DEPUTY, STAFF, "j.whitcombe@example.org"} <= refused | tallied
    assert found is not None and found.status == "open" and found.answers_enc is None


async def test_a_stale_button_after_completion_changes_nothing(make_bot, clock) -> None:
    bot = await make_bot()
    clock.now = REVIEW_DAY
    chat = Chat(bot, LEADER, channel="test")
    await chat.send("filtering review")  # the leader opens it early by the command
    assert chat.step == "provision"
    for step_id in ("provision", "responsibility", "changes", "checks", "reports", "training"):
        await chat.send(ANSWERS[step_id])
    await chat.send("Nothing more.")
    await chat.click("__submit")
    await chat.click("__submit")  # a double click: the review is not completed twice
    async with bot.router.sessions() as session:
        assert (
            await session.scalar(
                select(func.count()).where(Event.kind == "filtering_review_completed")
            )
            == 1
        )
        (found,) = await session.scalars(select(FilteringReview))
    dsl = Chat(bot, DSL, channel="test")
    await dsl.click(f"fmreview:start:{found.id}", token=None)  # their old invitation
    (done,) = [r for r in dsl.replies if isinstance(r, Card) and r.attachments]
    assert "Martin Fenwick" in (done.text or "")


async def test_when_both_finish_the_first_answers_stand_and_the_second_is_told(
    make_bot, clock
) -> None:
    bot = await make_bot()
    clock.now = REVIEW_DAY
    leader, dsl = Chat(bot, LEADER, channel="test"), Chat(bot, DSL, channel="test")
    await leader.send("filtering review")
    await dsl.send("filtering review")  # the same review: both answer it at once
    for step_id in ("provision", "responsibility", "changes", "checks", "reports", "training"):
        await leader.send(ANSWERS[step_id])
        await dsl.send(f"The DSL's {step_id}.")
    await leader.send("The leader's actions.")
    await dsl.send("The DSL's actions.")
    assert leader.step == dsl.step == "summary"
    await leader.click("__submit")
    await dsl.click("__submit")
    (done,) = [r for r in dsl.replies if isinstance(r, Card) and r.attachments]
    assert "completed by Martin Fenwick" in (done.text or "")
    async with bot.router.sessions() as session:
        (found,) = await session.scalars(select(FilteringReview))
        assert found.completed_by == LEADER
        assert review.saved_answers(bot.cipher, found)["actions"] == "The leader's actions."


async def test_a_completion_from_a_stale_read_changes_nothing(make_bot, clock) -> None:
    """Two finishing at the same moment: each read the review open; the database decides."""
    bot = await make_bot()
    clock.now = REVIEW_DAY
    async with bot.router.sessions() as session, session.begin():
        found, _ = await review.open_review(
            session, school=bot.school, year=2026, channels=(), now=clock()
        )
    async with bot.router.sessions() as session:
        stale = await review.review_for(session, 2026)
        assert stale is not None
        session.expunge(stale)  # as read by the other answerer's turn, before this one committed
    finished = []
    for email, answers, copy in (
        (LEADER, {"actions": "first"}, None),
        (DSL, {"actions": "second"}, stale),
    ):
        async with bot.router.sessions() as session, session.begin():
            current = copy or await review.review_for(session, 2026)
            assert current is not None
            finished.append(
                await review.complete(
                    session,
                    cipher=bot.cipher,
                    school=bot.school,
                    review=current,
                    answers=answers,
                    email=email,
                    channels=(),
                    now=clock(),
                )
            )
    assert finished == [True, False]
    async with bot.router.sessions() as session:
        (found,) = await session.scalars(select(FilteringReview))
        assert found.completed_by == LEADER
        assert review.saved_answers(bot.cipher, found) == {"actions": "first"}
        assert (
            await session.scalar(
                select(func.count()).where(Event.kind == "filtering_review_completed")
            )
            == 1
        )


async def test_stopping_keeps_the_answers_and_the_command_carries_on(make_bot, clock) -> None:
    bot = await make_bot()
    clock.now = REVIEW_DAY
    chat = Chat(bot, DSL, channel="test")
    await chat.send("filtering review")
    await chat.send(ANSWERS["provision"])
    await chat.send("cancel")
    await chat.click("__cancel_yes")
    assert any('type "filtering review"' in text for text in chat.texts)
    await chat.send("filtering review")
    assert chat.step == "responsibility"  # the first answer kept
