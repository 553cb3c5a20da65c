"""The self-audit's progress and results: counts, needs, comments, the CSV, the governors'
summary, the chart and the chat cards, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import dataclasses
import io
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.audit import chart
from bot.audit.exports import (
    CSV_COLUMNS,
    OTHER_TOPIC,
    governors_summary,
    results_csv,
)
from bot.audit.present import (
    MAX_FIELDS,
    chart_attachment,
    governors_card,
    results_messages,
    status_card,
)
from bot.audit.results import (
    CampaignNotFound,
    Progress,
    campaign_results,
    campaign_status,
    percent,
    wants_training,
)
from bot.delivery.messages import Card
from bot.settings import PROJECT_ROOT
from dialogs.text import shown_text
from tests.support.audit_results import (
    BOB_COMMENT,
    BOB_REQUEST,
    CARA_REQUEST,
    DAN_SECRET,
    EMAILS,
    FORMULA,
    NAMES,
    NEEDS_PROMPT,
    QUESTIONS,
    results_of,
    seed,
    synthetic,
)

ARTIFACTS = PROJECT_ROOT / "test-artifacts"


async def test_status_counts_invitations_starts_and_finishes_per_channel(make_bot):
    bot = await make_bot()
    campaign_id = await seed(bot)
    async with bot.router.sessions() as session:
        status = await campaign_status(session, campaign_id)
    assert status.academic_year == "2026-27"
    assert status.total == Progress(invited=6, sent=4, undelivered=1, started=4, finished=3)
    assert status.total.not_started == 2
    assert status.by_channel == {
        "slack": Progress(invited=3, sent=2, undelivered=0, started=2, finished=1),
        "teams": Progress(invited=2, sent=1, undelivered=1, started=1, finished=1),
        "web": Progress(invited=1, sent=1, undelivered=0, started=1, finished=1),
    }
    card = status_card(status, tz=ZoneInfo("Europe/London"))
    fields = {f.label: f.value for f in card.fields}
    assert fields["Asked"] == "6"
    assert fields["Invitation delivered"] == "4 (1 could not be delivered)"
    assert fields["Finished"] == "3 (50%)"
    assert fields["Slack"] == "3 asked, 2 delivered, 2 started, 1 finished"
    assert card.footer == "Open until Tue 29 Sep 2026, 09:00"


async def test_an_unknown_campaign_is_reported(make_bot):
    bot = await make_bot()
    async with bot.router.sessions() as session:
        with pytest.raises(CampaignNotFound):
            await campaign_status(session, 404)
        with pytest.raises(CampaignNotFound):
            await campaign_results(session, bot.cipher, 404)


async def test_results_count_finished_audits_only(make_bot):
    bot = await make_bot()
    results = await results_of(bot, await seed(bot))
    assert (results.invited, results.finished, results.unfinished, results.not_started) == (
        6,
        3,
        1,
        2,
    )
    assert [r.name for r in results.respondents] == ["Alice Able", "Bob Brown", "Cara Cole"]
    counts = {c.question.step_id: (c.yes, c.no, c.unanswered) for c in results.counts}
    assert counts == {
        "knows_lead": (3, 0, 0),  # Dan's unfinished "no" is not counted
        "knows_concern": (2, 0, 1),
        "aup_staff": (3, 0, 0),
        "filtering_systems": (2, 1, 0),
        "filtering_role": (2, 1, 0),
        "aup_pupils": (3, 0, 0),
        "passwords": (2, 1, 0),
        "cyberbullying": (3, 0, 0),
    }
    assert [c.number for c in results.counts] == list(range(1, 9))
    assert results.needs_prompt == NEEDS_PROMPT


async def test_every_no_is_a_training_need_and_written_requests_are_kept(make_bot):
    bot = await make_bot()
    results = await results_of(bot, await seed(bot))
    needs = {n.name: (n.topics, n.request) for n in results.training_needs}
    assert needs == {
        "Bob Brown": (
            ("Filtering and monitoring systems", "Own role in filtering and monitoring"),
            BOB_REQUEST,
        ),
        "Cara Cole": (("Changes passwords regularly",), CARA_REQUEST),
    }  # Alice answered Yes throughout and wrote "None, thanks.": no need
    assert [(w.name, w.text) for w in results.written_needs] == [
        ("Bob Brown", BOB_REQUEST),
        ("Cara Cole", CARA_REQUEST),
    ]
    total_noes = sum(c.no for c in results.counts)
    assert sum(len(n.topics) for n in results.training_needs) == total_noes


async def test_comments_are_listed_with_name_and_question(make_bot):
    bot = await make_bot()
    results = await results_of(bot, await seed(bot))
    assert [(c.name, c.number, c.label, c.text) for c in results.comments] == [
        ("Alice Able", 1, "Knows the online-safety lead", FORMULA),
        ("Bob Brown", 4, "Filtering and monitoring systems", BOB_COMMENT),
    ]
    assert DAN_SECRET not in repr(results)


async def test_csv_has_a_row_per_person_and_question_and_is_injection_safe(make_bot):
    bot = await make_bot()
    results = await results_of(bot, await seed(bot))
    text = results_csv(results, tz=ZoneInfo("Europe/London"))
    assert text.startswith("\ufeff")  # encoded as UTF-8, Excel reads it as UTF-8
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    body = rows[1:]
    assert len(body) == 3 * (len(QUESTIONS) + 1)
    by_person: dict[str, list[list[str]]] = {}
    for row in body:
        assert len(row) == len(CSV_COLUMNS)
        by_person.setdefault(row[0], []).append(row)
    assert list(by_person) == ["Alice Able", "Bob Brown", "Cara Cole"]
    for rows_of in by_person.values():
        assert [r[3] for r in rows_of] == [str(n) for n in range(1, 10)]
        assert [r[4] for r in rows_of] == [q[1] for q in QUESTIONS] + [NEEDS_PROMPT]
    alice, bob, cara = by_person.values()
    assert alice[0][1:3] == ["alice@school.example", "2026-09-03"]
    # Shown as text, never run, and its address defanged as every typed address is shown.
    assert alice[0][5:] == ["Yes", "'" + shown_text(FORMULA)]
    assert alice[8][5] == "None, thanks."
    assert bob[3][5:] == ["No", BOB_COMMENT]
    assert bob[8][5:] == [BOB_REQUEST, ""]
    assert cara[1][5] == ""  # not answered
    assert cara[6][5] == "No"
    assert cara[8][5] == "'" + CARA_REQUEST
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert "Dan Dee" not in text and DAN_SECRET not in text


def test_csv_guards_every_formula_start():
    results = synthetic(finished=1)
    person = results.respondents[0]
    for start in ("=", "+", "-", "@", "\t", "\r"):
        hostile = dataclasses.replace(person, name=f"{start}cmd", training_text=f"{start}x")
        text = results_csv(dataclasses.replace(results, respondents=(hostile,)))
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
        assert rows[1][0] == f"'{start}cmd"
        assert rows[-1][5] == f"'{start}x"


async def test_governors_summary_is_anonymous(make_bot):
    bot = await make_bot()
    results = await results_of(bot, await seed(bot, closed=True))
    summary = governors_summary(results)
    assert (summary.invited, summary.finished, summary.finished_percent) == (6, 3, 50)
    assert summary.final and summary.unfinished == 1
    q4 = summary.questions[3]
    assert (q4.yes, q4.no, q4.yes_percent, q4.no_percent) == (2, 1, 67, 33)
    assert [(t.topic, t.staff) for t in summary.needs_by_topic] == [
        (OTHER_TOPIC, 2),
        ("Filtering and monitoring systems", 1),
        ("Own role in filtering and monitoring", 1),
        ("Changes passwords regularly", 1),
    ]
    assert summary.staff_with_needs == 2
    card = governors_card(summary, chart=chart_attachment(results))
    (chart_file,) = card.attachments  # the chart, and never the CSV
    assert chart_file.media_type == "image/png" and chart_file.data.startswith(b"\x89PNG")
    assert chart_file.data == chart.results_chart_png(results)  # numbers and labels only
    everything = " ".join(
        [
            repr(summary),
            *summary.lines(),
            card.title,
            card.text or "",
            *(f"{f.label} {f.value}" for f in card.fields),
            *(link.path for link in card.links),
            repr(chart_file),
            chart_file.title,
            chart_file.alt_text or "",
            chart_file.filename,
        ]
    )
    for name in NAMES:
        assert name not in everything
        assert name.split()[0] not in everything
    for email in EMAILS:
        assert email not in everything
        assert email.split("@")[0] not in everything
    private_texts = (FORMULA, shown_text(FORMULA), BOB_COMMENT, BOB_REQUEST, CARA_REQUEST)
    for private in (*private_texts, DAN_SECRET, "None, thanks"):
        assert private not in everything
    assert "results.csv" not in everything and ".csv" not in everything  # it names people
    assert chart_file.link is not None
    assert chart_file.link.path == f"/api/audit/{results.campaign_id}/chart.png"
    assert governors_card(summary).attachments == ()


async def test_chart_is_a_readable_png(make_bot):
    bot = await make_bot()
    results = await results_of(bot, await seed(bot, closed=True))
    png = chart.results_chart_png(results)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "audit-chart.png").write_bytes(png)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (1200, 80 * len(QUESTIONS) + 200)
    colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 20) or []}
    assert len(colours) > 10  # text, bars, hatching, grid: not blank
    assert chart.YES_FILL in colours and chart.NO_FILL in colours and chart.NO_HATCH in colours
    assert image.getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize(
    ("finished", "label"),
    [
        (0, "Short"),
        (40, "A very long label " * 12),
        (7, "Supercalifragilisticexpialidociousandthensomemoreunbrokentextthatneverstops"),
    ],
)
def test_chart_copes_with_nobody_finished_and_long_labels(finished, label):
    results = synthetic(finished=finished, label=label, unanswered=True)
    image = Image.open(io.BytesIO(chart.results_chart_png(results)))
    assert image.size == chart.chart_size(results)
    assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 5


async def test_results_messages_for_the_dsl(make_bot):
    bot = await make_bot()
    campaign_id = await seed(bot)
    results = await results_of(bot, campaign_id)
    messages = results_messages(results)
    assert all(isinstance(m, Card) for m in messages)
    summary, needs, comments = messages
    assert isinstance(summary, Card) and isinstance(needs, Card) and isinstance(comments, Card)
    assert summary.title == "Staff online-safety self-audit 2026-27: results so far"
    assert "3 of 6 staff finished (50%)" in (summary.text or "")
    assert "1 started but had not finished" in (summary.text or "")
    fields = {f.label: f.value for f in summary.fields}
    assert fields["4. Filtering and monitoring systems"] == "Yes 2 (67%) · No 1 (33%)"
    assert fields["2. Knows what to do with a pupil's concern"].endswith("not answered 1")
    png, sheet = summary.attachments
    assert (png.filename, png.media_type) == ("online-safety-audit-2026-27.png", "image/png")
    assert Image.open(io.BytesIO(png.data)).size == chart.chart_size(results)
    assert png.alt_text and "Bar chart" in png.alt_text
    assert (sheet.filename, sheet.media_type) == (
        "online-safety-audit-2026-27.csv",
        "text/csv; charset=utf-8",
    )
    assert sheet.data.decode("utf-8") == results_csv(results, tz=ZoneInfo("Europe/London"))
    assert [a.link.path for a in summary.attachments if a.link] == [
        f"/api/audit/{campaign_id}/chart.png",
        f"/api/audit/{campaign_id}/results.csv",
    ]
    # The files' bytes stay out of the repr (and so out of any log line showing a message).
    assert "\\x89PNG" not in repr(summary) and BOB_REQUEST not in repr(summary)
    needed = {f.label: f.value for f in needs.fields}
    assert needed == {
        "Bob Brown": "• Filtering and monitoring systems\n• Own role in filtering and monitoring\n"
        f"Asked for: {BOB_REQUEST}",
        "Cara Cole": f"• Changes passwords regularly\nAsked for: {CARA_REQUEST}",
    }
    assert [f.label for f in comments.fields] == [
        "Alice Able, question 1 (Knows the online-safety lead)",
        "Bob Brown, question 4 (Filtering and monitoring systems)",
    ]
    assert DAN_SECRET not in repr(messages)


def test_long_lists_are_split_over_several_cards():
    results = synthetic(finished=45, comments=True)
    messages = results_messages(results)
    needs = [m for m in messages if isinstance(m, Card) and m.card_id.startswith("audit-needs")]
    comments = [m for m in messages if isinstance(m, Card) and m.card_id.startswith("audit-com")]
    assert len(needs) == 3 and len(comments) >= 3
    assert needs[0].title == "Training needs (1 of 3)"
    assert len({c.card_id for c in needs}) == 3
    for card in needs + comments:
        assert len(card.fields) <= MAX_FIELDS
    assert sum(len(c.fields) for c in needs) == len(results.training_needs) == 45


def test_nothing_to_list_says_so():
    results = synthetic(finished=0)
    _, needs, comments = results_messages(results)
    assert isinstance(needs, Card) and needs.text == "Nobody answered No or asked for training."
    assert isinstance(comments, Card) and comments.text == "Nobody added a comment."


def test_a_none_is_not_a_training_request():
    for text in (None, "", "  ", "None", "no.", "N/A", "nil", "No thank you!", "Not at present"):
        assert not wants_training(text), text
    for text in ("No idea about TikTok", "AI chatbots", "none of the filtering stuff, please"):
        assert wants_training(text), text


def test_percentages_round_half_up():
    assert [percent(1, 8), percent(1, 3), percent(2, 3), percent(1, 200), percent(0, 0)] == [
        13,
        33,
        67,
        1,
        0,
    ]
