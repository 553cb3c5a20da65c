"""A briefing's results as a picture, like the self-audit's (bot/audit/chart.py, whose colours
and drawing helpers it uses): a bar for who has confirmed and who has not yet, then one per check
question split into right and wrong among those who answered it. Counts and question labels
only, no names. Colour is never the only cue: the second part is hatched and every bar has its
numbers beside it."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from bot.audit.chart import (
    BAR_HEIGHT,
    BAR_LEFT,
    BAR_RIGHT,
    EMPTY_OUTLINE,
    INK,
    LABEL_RIGHT,
    MARGIN,
    MUTED,
    NO_FILL,
    NO_HATCH,
    NUMBERS_LEFT,
    ROW,
    STRIPE,
    WHITE,
    WIDTH,
    YES_FILL,
)
from bot.audit.results import percent
from bot.briefings.exports import CHART_PATH, BriefingResults, results_filename
from bot.delivery.messages import Attachment, Link
from bot.drawing import fit, font, hatched, line_height, wrap, write
from bot.words import strings

TOP = 150
BOTTOM = 40


@dataclass(frozen=True)
class ChartRow:
    """One bar: `good` (confirmed, or right) then `bad` (not yet, or wrong)."""

    label: str
    good: int
    bad: int
    good_word: str
    bad_word: str


def chart_rows(results: BriefingResults) -> list[ChartRow]:
    """The numbers the chart draws."""
    people = results.people
    confirmed = sum(1 for p in people if p.confirmed_at is not None)
    rows = [
        ChartRow(
            strings.BRIEFING_CHART_CONFIRMED_LABEL,
            confirmed,
            len(people) - confirmed,
            strings.BRIEFING_CHART_CONFIRMED,
            strings.BRIEFING_CHART_NOT_YET,
        )
    ]
    for number, question in enumerate(results.questions, start=1):
        given = [p.answers.get(question.step_id) for p in people]
        answered = [g for g in given if g is not None]
        right = sum(1 for g in answered if g == question.right)
        rows.append(
            ChartRow(
                f"{number}. {question.prompt}",
                right,
                len(answered) - right,
                strings.BRIEFING_CHART_RIGHT,
                strings.BRIEFING_CHART_WRONG,
            )
        )
    return rows


def chart_size(results: BriefingResults) -> tuple[int, int]:
    return WIDTH, TOP + ROW * (1 + len(results.questions)) + BOTTOM


def briefing_chart_png(results: BriefingResults) -> bytes:
    """The chart as PNG bytes."""
    image = Image.new("RGB", chart_size(results), WHITE)
    draw = ImageDraw.Draw(image)
    write(
        draw,
        (MARGIN, 36),
        fit(
            strings.BRIEFING_CHART_HEADING.format(title=results.title),
            font(30, bold=True),
            WIDTH - 2 * MARGIN,
        ),
        font(30, bold=True),
        INK,
    )
    write(
        draw,
        (MARGIN, 76),
        strings.BRIEFING_CHART_SUBTITLE.format(year=results.academic_year),
        font(20),
        MUTED,
    )
    write(draw, (MARGIN, 118), strings.BRIEFING_CHART_LEGEND, font(18), MUTED)
    for index, row in enumerate(chart_rows(results)):
        top = TOP + index * ROW
        if index % 2 == 0:
            draw.rectangle((MARGIN - 8, top, WIDTH - 8, top + ROW - 1), fill=STRIPE)
        _row(image, draw, row, top)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _row(image: Image.Image, draw: ImageDraw.ImageDraw, row: ChartRow, top: int) -> None:
    label_font = font(18)
    step = line_height(label_font)
    lines = wrap(row.label, label_font, LABEL_RIGHT - MARGIN)[: max(1, (ROW - 8) // step)]
    first = top + ROW // 2 - step * (len(lines) - 1) / 2
    for k, line in enumerate(lines):
        write(draw, (MARGIN, int(first + k * step)), line, label_font, INK)
    y0 = top + (ROW - BAR_HEIGHT) // 2
    y1 = y0 + BAR_HEIGHT
    total = row.good + row.bad
    if total == 0:
        draw.rectangle((BAR_LEFT, y0, BAR_RIGHT, y1), outline=EMPTY_OUTLINE, width=1)
    else:
        middle = BAR_LEFT + round((BAR_RIGHT - BAR_LEFT) * row.good / total)
        if middle > BAR_LEFT:
            draw.rectangle((BAR_LEFT, y0, middle, y1), fill=YES_FILL)
        hatched(image, (middle, y0, BAR_RIGHT, y1), NO_FILL, NO_HATCH)
    numbers = (
        f"{row.good_word} {row.good} ({percent(row.good, total)}%)",
        f"{row.bad_word} {row.bad} ({percent(row.bad, total)}%)",
    )
    number_font = font(16)
    step = line_height(number_font)
    first = top + ROW // 2 - step / 2
    for k, line in enumerate(numbers):
        write(draw, (NUMBERS_LEFT, int(first + k * step)), line, number_font, INK)


def chart_attachment(results: BriefingResults) -> Attachment:
    """The chart as a PNG (counts and question labels only), offered as the self-audit's is."""
    return Attachment(
        filename=results_filename(results).removesuffix(".csv") + ".png",
        media_type="image/png",
        data=briefing_chart_png(results),
        title=strings.BRIEFING_CHART_TITLE.format(title=results.title),
        alt_text=strings.BRIEFING_CHART_ALT,
        link=Link(strings.BRIEFING_CHART_LINK, CHART_PATH.format(campaign_id=results.campaign_id)),
    )
