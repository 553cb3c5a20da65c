"""The governors' summary as a picture: for each term, the median times to acknowledge, to the
first action and to close, in school hours and out of hours, as horizontal bars.

Numbers only, like the summary. Colour is never the only cue: every bar has "In hours" or
"Out of hours" written before it, the out-of-hours bars are hatched, and every bar has its time
written beside it ("none yet" where there is none). Each of the three panels has its own scale
(minutes to acknowledge, days to close), so the written times are what to read. The size is
fixed, 1200 x 1000 pixels on white, with room for the latest six periods; drawn the way the
self-audit's chart is (bot/audit/chart.py: the same fonts, measured text, Pillow only).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import timedelta

from PIL import Image, ImageDraw

from bot.cases.response_times import Period, duration
from bot.drawing import Colour, hatched
from bot.drawing import fit as _fit
from bot.drawing import font as _font
from bot.drawing import write as _write
from bot.words import strings

WIDTH, HEIGHT = 1200, 1000
SLOTS = 6  # periods drawn: the latest
TOP = 150
PANEL = 275
PANEL_TITLE = 34
ROW = 40
BAR_HEIGHT = 15
MARGIN = 32
LABEL_RIGHT = 330
TAG_RIGHT = 476
BAR_LEFT = 486
BAR_RIGHT = 1000
NUMBERS_LEFT = 1012
METRICS = (
    ("to_acknowledge", "STATS_ACKNOWLEDGE"),
    ("to_first_action", "STATS_FIRST_ACTION"),
    ("to_close", "STATS_CLOSE"),
)

WHITE: Colour = (255, 255, 255)
INK: Colour = (31, 31, 31)
MUTED: Colour = (90, 90, 90)
STRIPE: Colour = (246, 247, 249)
IN_FILL: Colour = (31, 84, 147)  # a dark blue
OUT_FILL: Colour = (196, 78, 12)  # vermillion: told apart from the blue by more than hue
OUT_HATCH: Colour = (240, 170, 120)


def summary_chart_png(school: str, periods: Sequence[Period]) -> bytes:
    """The chart as PNG bytes: the latest SLOTS of `periods` (oldest first)."""
    shown = list(periods)[-SLOTS:]
    image = Image.new("RGB", (WIDTH, HEIGHT), WHITE)
    draw = ImageDraw.Draw(image)
    _heading(image, draw, school)
    if not shown:
        _write(draw, (MARGIN, TOP + 20), strings.SUMMARY_CHART_NOTHING, _font(20), MUTED)
    else:
        for index, (what, title) in enumerate(METRICS):
            _panel(image, draw, shown, what, getattr(strings, title), TOP + index * PANEL)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _heading(image: Image.Image, draw: ImageDraw.ImageDraw, school: str) -> None:
    title = strings.SUMMARY_CHART_HEADING.format(school=school)
    bold = _font(30, bold=True)
    _write(draw, (MARGIN, 36), _fit(title, bold, WIDTH - 2 * MARGIN), bold, INK)
    subtitle = strings.SUMMARY_CHART_SUBTITLE
    _write(draw, (MARGIN, 76), _fit(subtitle, _font(20), WIDTH - 2 * MARGIN), _font(20), MUTED)
    font = _font(18)
    x, middle = MARGIN, 118
    for text, out_of_hours in (
        (strings.SUMMARY_CHART_IN_HOURS, False),
        (strings.SUMMARY_CHART_OUT_OF_HOURS, True),
    ):
        _bar(image, draw, (x, middle - 11, x + 34, middle + 11), out_of_hours=out_of_hours)
        x += 44
        _write(draw, (x, middle), text, font, INK)
        x += int(draw.textlength(text, font=font)) + 32


def _panel(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    periods: Sequence[Period],
    what: str,
    title: str,
    top: int,
) -> None:
    """One measure: a row per period, its in-hours bar above its out-of-hours bar."""
    _write(draw, (MARGIN, top + PANEL_TITLE // 2), title, _font(20, bold=True), INK)
    medians = [(p.median(what, in_hours=True), p.median(what, in_hours=False)) for p in periods]
    longest = max((m.total_seconds() for pair in medians for m in pair if m is not None), default=0)
    rows_top = top + PANEL_TITLE
    draw.line((BAR_LEFT, rows_top, BAR_LEFT, rows_top + ROW * len(periods)), fill=MUTED, width=2)
    for index, (period, pair) in enumerate(zip(periods, medians, strict=True)):
        y = rows_top + index * ROW
        if index % 2 == 0:
            draw.rectangle((MARGIN - 8, y, WIDTH - 8, y + ROW - 1), fill=STRIPE)
        _label(draw, period.label, y)
        for k, median in enumerate(pair):
            y0 = y + 4 + k * (BAR_HEIGHT + 2)
            _measure(image, draw, median, longest, (y0, y0 + BAR_HEIGHT), out_of_hours=k == 1)


def _measure(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    median: timedelta | None,
    longest: float,
    span: tuple[int, int],
    *,
    out_of_hours: bool,
) -> None:
    y0, y1 = span
    middle = (y0 + y1) // 2
    tag = strings.SUMMARY_CHART_OUT_OF_HOURS if out_of_hours else strings.SUMMARY_CHART_IN_HOURS
    _write(draw, (TAG_RIGHT, middle), tag, _font(13), MUTED, align="right")
    if median is None:
        _write(draw, (BAR_LEFT + 8, middle), strings.SUMMARY_CHART_NO_CASES, _font(14), MUTED)
        return
    fraction = median.total_seconds() / longest if longest else 0.0
    # Never narrower than 3 pixels: a median of a minute still shows as a bar.
    end = BAR_LEFT + max(3, round((BAR_RIGHT - BAR_LEFT) * min(1.0, fraction)))
    _bar(image, draw, (BAR_LEFT, y0, end, y1), out_of_hours=out_of_hours)
    _write(draw, (NUMBERS_LEFT, middle), duration(median), _font(15, bold=True), INK)


def _label(draw: ImageDraw.ImageDraw, text: str, top: int) -> None:
    """The period's label in the left column, smaller type if it needs it."""
    width = LABEL_RIGHT - MARGIN
    for size in (16, 14, 12):
        font = _font(size)
        if font.getlength(text) <= width:
            break
    _write(draw, (MARGIN, top + ROW // 2), _fit(text, font, width), font, INK)


def _bar(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    *,
    out_of_hours: bool,
) -> None:
    """A bar (or a legend key): solid blue in hours, hatched vermillion out of hours."""
    x0, _, x1, _ = box
    if x1 <= x0:
        return
    if not out_of_hours:
        draw.rectangle(box, fill=IN_FILL)
        return
    hatched(image, box, OUT_FILL, OUT_HATCH)
