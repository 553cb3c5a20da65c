"""The governors' summary, through the real router, outbox and dispatcher with a clock the tests
move: per term, how many reports of each kind, the medians in and out of hours, how many alerts
reached the second and third level, and a chart; numbers only, for the safeguarding team and
the governors only."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from datetime import UTC, date, datetime, timedelta

from PIL import Image
from sqlalchemy import select

from bot.cases import summary
from bot.cases.scheduled import sweep_alerts
from bot.cases.summary_chart import HEIGHT, IN_FILL, OUT_FILL, WIDTH, summary_chart_png
from bot.delivery.messages import Card
from bot.settings import PROJECT_ROOT
from storage.models import Report
from tests.support.alerts import (
    CHAIR,
    DSL,
    HEAD,
    ICT,
    close_as_dsl,
    file_concern,
    file_filtering_report,
)
from tests.support.harness import Chat
from tests.support.reports import event_kinds
from tests.support.walk import STAFF
from tests.web.chat import serve, sign_in, web_settings

TERM = "Term 2 Nov 2026 to 18 Dec 2026"
TUESDAY = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)  # London is on UTC in November


async def _latest(bot) -> int:
    async with bot.router.sessions() as session:
        return max(await session.scalars(select(Report.id)))


async def _three_cases(bot, clock) -> None:
    """Two concerns and a filtering report: in hours, in hours, and out of hours escalated."""
    dsl = Chat(bot, DSL)
    clock.now = TUESDAY
    await file_concern(bot)
    first = await _latest(bot)
    clock.now = TUESDAY + timedelta(minutes=2)
    await dsl.click(f"case:ack:{first}")
    await close_as_dsl(
        bot, first, now=TUESDAY + timedelta(hours=3), outcome="Resolved with the parents."
    )

    clock.now = TUESDAY + timedelta(hours=4)  # 14:30
    await file_filtering_report(bot)
    second = await _latest(bot)
    clock.now = TUESDAY + timedelta(hours=4, minutes=6)
    await dsl.click(f"case:ack:{second}")

    # 18:00, out of hours: nobody for 25 minutes, so the head (second level), then everyone
    # again (the third), until the head acknowledges at 18:30.
    evening = TUESDAY + timedelta(hours=7, minutes=30)
    clock.now = evening
    await file_concern(bot)
    third = await _latest(bot)
    for minutes in (10, 25):
        clock.now = evening + timedelta(minutes=minutes)
        await sweep_alerts(bot.jobs)
    clock.now = evening + timedelta(minutes=30)
    await Chat(bot, HEAD).click(f"case:ack:{third}")


async def test_a_governor_sees_the_numbers_per_term_and_the_chart(make_bot, channel, clock):
    bot = await make_bot(notifiers={"test": channel})
    await _three_cases(bot, clock)

    chat = Chat(bot, CHAIR)  # a governor, who handles no cases
    await chat.send("governors summary")
    (card,) = [r for r in chat.replies if isinstance(r, Card)]
    fields = {f.label: f.value for f in card.fields}
    assert fields == {
        f"{TERM}: Reports": "3 (2 in hours, 1 out of hours)",
        f"{TERM}: Reports by kind": "Online-safety concern: Commerce: 2\n"
        "Filtering or monitoring: Harmful or unsuitable content got through: 1",
        f"{TERM}: Median time to acknowledge": "4 min (in hours), 30 min (out of hours)",
        f"{TERM}: Median time to first action": "— (in hours), — (out of hours)",
        f"{TERM}: Median time to close": "3 h (in hours), — (out of hours)",
        f"{TERM}: Alerts escalated": "1 reached the second level, 1 the third",
    }

    # Numbers only: no reference, no pupil, nothing a report or a case form said.
    (chart,) = card.attachments
    shown = json.dumps([card.title, card.text, fields, chart.title, chart.alt_text, chart.filename])
    async with bot.router.sessions() as session:
        references = [r for r in await session.scalars(select(Report.reference)) if r]
    assert len(references) == 3
    for secret in (*references, "Zebedee", "PC 12", "bad.example", "Resolved", "parents"):
        assert secret not in shown

    image = Image.open(io.BytesIO(chart.data))
    assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
    colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=WIDTH * HEIGHT)}
    assert IN_FILL in colours and OUT_FILL in colours  # both bars drawn, not a blank page
    assert chart.link is not None and chart.link.path == summary.CHART_PATH
    assert chat.question.input == "menu"


async def test_the_summary_is_refused_to_staff_and_ict_and_recorded(make_bot, clock):
    bot = await make_bot()
    await file_concern(bot)
    for person in (STAFF, ICT):
        chat = Chat(bot, person)
        await chat.send("governors summary")
        assert not [r for r in chat.replies if isinstance(r, Card)]
        (refused,) = chat.notices("error")
        assert "Only the DSL, the deputy DSLs, the headteacher and the governors" in refused.text
    assert "refused" in await event_kinds(bot)


async def test_the_head_with_no_reports_is_told_so(make_bot):
    bot = await make_bot()
    chat = Chat(bot, HEAD)
    await chat.send("governors' summary")
    assert not [r for r in chat.replies if isinstance(r, Card)]
    assert "No reports yet" in " ".join(chat.texts)


async def test_the_drills_place_adds_numbers_to_each_period(make_bot, clock):
    """EXTRA_SECTIONS (or `sections`): where the drills' results join each period."""
    bot = await make_bot()
    clock.now = TUESDAY
    await file_concern(bot)
    asked: list[tuple[date, date]] = []

    async def drills(session, first: date, last: date) -> list[tuple[str, str]]:
        asked.append((first, last))
        return [("Drills", "1")]

    async with bot.router.sessions() as session, session.begin():
        replies = await summary.answer(
            session,
            bot.school,
            bot.router.cases.cards.kind_label,
            DSL,
            clock.now,
            sections=(drills,),
        )
    (card,) = [r for r in replies if isinstance(r, Card)]
    assert asked == [(date(2026, 11, 2), date(2026, 12, 18))]
    assert card.fields[-1].label == f"{TERM}: Drills" and card.fields[-1].value == "1"


def test_the_chart_with_no_periods_is_still_a_picture_of_its_size():
    image = Image.open(io.BytesIO(summary_chart_png("Example Primary School", [])))
    assert image.size == (WIDTH, HEIGHT)
    assert len(image.convert("RGB").getcolors(maxcolors=WIDTH * HEIGHT)) > 2  # words on it


async def test_the_web_chat_link_gives_the_chart_to_a_governor_only(database_url, tmp_path, clock):
    from bot.app import build_bot, prepare_storage

    bot = build_bot(web_settings(database_url, tmp_path), clock=clock)
    await prepare_storage(bot)
    async with serve(bot) as client:
        assert (await client.get(summary.CHART_PATH)).status == 401  # not signed in
        await sign_in(client, STAFF)
        assert (await client.get(summary.CHART_PATH)).status == 403
        await sign_in(client, CHAIR)
        got = await client.get(summary.CHART_PATH)
        assert got.status == 200 and got.content_type == "image/png"
        assert Image.open(io.BytesIO(await got.read())).size == (WIDTH, HEIGHT)
    assert "refused" in await event_kinds(bot)
    await bot.engine.dispose()


async def test_python_m_bot_summary_prints_the_numbers_and_writes_the_chart(
    make_bot, database_url, tmp_path, clock
):
    bot = await make_bot()
    clock.now = TUESDAY
    await file_concern(bot)
    async with bot.router.sessions() as session:
        (reference,) = [r for r in await session.scalars(select(Report.reference)) if r]
    png = tmp_path / "chart.png"
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": database_url}
    done = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "summary",
        str(png),
        env=env,
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await done.communicate()
    assert done.returncode == 0, err.decode()
    printed = out.decode()
    assert "Online safety at Example Primary School: summary for governors" in printed
    assert TERM in printed and "Reports: 1 (1 in hours, 0 out of hours)" in printed
    assert "Online-safety concern: Commerce: 1" in printed
    assert reference not in printed
    assert Image.open(io.BytesIO(png.read_bytes())).size == (WIDTH, HEIGHT)


async def test_the_summary_words_with_a_curly_apostrophe_as_phones_type_it(make_bot):
    bot = await make_bot()
    chat = Chat(bot, CHAIR)
    await chat.send("Governors’ summary")
    assert "No reports yet" in " ".join(chat.texts)
