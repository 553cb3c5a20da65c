"""`monitoring stats` as a picture: the providers' alerts per month over twelve months, each
month's bar stacked by severity.

Colour is never the only cue: each severity has its own pattern as well as its own colour
(critical solid, high hatched one way, medium cross-hatched, low dotted), the legend shows both,
every segment tall enough has its count written on it and every bar its total above it. The size
is fixed, 1200 x 800 pixels on white; drawn the way the governors' summary chart is
(bot/cases/summary_chart.py: the same fonts, measured text, Pillow only). Numbers only.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw

from bot import drawing
from bot.drawing import Colour, Font
from bot.drawing import fit as _fit
from bot.drawing import font as _font
from bot.monitoring.provider_alert import Severity
from bot.words import strings

if TYPE_CHECKING:
    from bot.monitoring.stats import MonitoringStats


WIDTH, HEIGHT = 1200, 800
MARGIN = 32
PLOT_TOP, PLOT_BOTTOM = 200, 690
PLOT_LEFT, PLOT_RIGHT = 60, 1168
BAR_WIDTH = 56
LABELLED = 22  # a segment at least this tall has its count written on it

WHITE: Colour = (255, 255, 255)
INK: Colour = (31, 31, 31)
MUTED: Colour = (90, 90, 90)
# (fill, pattern colour, pattern) per severity; the fills differ in lightness, not only hue.
STYLE: dict[Severity, tuple[Colour, Colour, str]] = {
    Severity.CRITICAL: ((120, 20, 30), (120, 20, 30), "solid"),
    Severity.HIGH: ((196, 78, 12), (240, 170, 120), "hatch"),
    Severity.MEDIUM: ((230, 180, 60), (150, 110, 20), "cross"),
    Severity.LOW: ((170, 200, 230), (40, 80, 140), "dots"),
}
ORDER = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)  # bottom to top


def stats_chart_png(school: str, stats: MonitoringStats) -> bytes:
    """The chart as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), WHITE)
    draw = ImageDraw.Draw(image)
    _heading(image, draw, school)
    totals = [sum(stats.by_month[m].values()) for m in stats.months]
    highest = max(totals, default=0)
    if not highest:
        _write(draw, (MARGIN, PLOT_TOP + 20), strings.MONITORING_STATS_CHART_NOTHING, _font(20))
    draw.line((PLOT_LEFT, PLOT_BOTTOM, PLOT_RIGHT, PLOT_BOTTOM), fill=MUTED, width=2)
    slot = (PLOT_RIGHT - PLOT_LEFT) / len(stats.months)
    for index, month in enumerate(stats.months):
        middle = round(PLOT_LEFT + slot * (index + 0.5))
        bottom = PLOT_BOTTOM
        for severity in ORDER:
            n = stats.by_month[month][severity]
            if not n:
                continue
            height = max(2, round((PLOT_BOTTOM - PLOT_TOP) * n / highest))
            box = (middle - BAR_WIDTH // 2, bottom - height, middle + BAR_WIDTH // 2, bottom)
            _segment(image, draw, box, severity)
            if height >= LABELLED:
                _label_on(draw, box, str(n))
            bottom -= height
        if highest:
            _write(draw, (middle, bottom - 14), str(totals[index]), _font(16, bold=True), "mid")
        _write(draw, (middle, PLOT_BOTTOM + 20), f"{month:%b}", _font(15), "mid")
        _write(draw, (middle, PLOT_BOTTOM + 42), f"{month:%Y}", _font(13), "mid", MUTED)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _heading(image: Image.Image, draw: ImageDraw.ImageDraw, school: str) -> None:
    bold = _font(30, bold=True)
    title = strings.MONITORING_STATS_CHART_HEADING.format(school=school)
    _write(draw, (MARGIN, 36), _fit(title, bold, WIDTH - 2 * MARGIN), bold)
    subtitle = strings.MONITORING_STATS_CHART_SUBTITLE
    _write(draw, (MARGIN, 76), _fit(subtitle, _font(20), WIDTH - 2 * MARGIN), _font(20), fill=MUTED)
    x, middle, font = MARGIN, 124, _font(18)
    for severity in reversed(ORDER):
        _segment(image, draw, (x, middle - 13, x + 40, middle + 13), severity)
        x += 50
        name = strings.MONITORING_SEVERITY_NAMES[severity.name.lower()]
        _write(draw, (x, middle), name, font)
        x += int(draw.textlength(name, font=font)) + 36


def _segment(
    image: Image.Image, draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], s: Severity
) -> None:
    """One severity's part of a bar (or its legend key): its fill, then its pattern."""
    x0, y0, x1, y1 = box
    fill, ink, pattern = STYLE[s]
    tile = Image.new("RGB", (max(1, x1 - x0), max(1, y1 - y0)), fill)
    pen = ImageDraw.Draw(tile)
    width, height = tile.size
    if pattern in ("hatch", "cross"):
        for k in range(-height, width + height, 9):
            pen.line((k, height, k + height, 0), fill=ink, width=2)
            if pattern == "cross":
                pen.line((k, 0, k + height, height), fill=ink, width=2)
    elif pattern == "dots":
        for y in range(3, height, 8):
            for x in range(3 + (y // 8 % 2) * 4, width, 8):
                pen.ellipse((x - 1, y - 1, x + 1, y + 1), fill=ink)
    image.paste(tile, (x0, y0))
    draw.rectangle(box, outline=INK, width=1)


def _label_on(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], text: str) -> None:
    """A segment's count on a white patch, readable on any fill or pattern."""
    x0, y0, x1, y1 = box
    font = _font(14, bold=True)
    middle_x, middle_y = (x0 + x1) // 2, (y0 + y1) // 2
    half = int(draw.textlength(text, font=font)) // 2 + 4
    draw.rectangle((middle_x - half, middle_y - 9, middle_x + half, middle_y + 9), fill=WHITE)
    _write(draw, (middle_x, middle_y), text, font, "mid")


def _write(
    draw: ImageDraw.ImageDraw,
    at: tuple[int, int],
    text: str,
    font: Font,
    align: str = "left",
    fill: Colour = INK,
) -> None:
    """Text with its left edge (or its centre, "mid") at `at` and its middle at that height."""
    drawing.write(draw, at, text, font, fill, align="center" if align == "mid" else "left")
