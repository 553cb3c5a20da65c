"""The results as a picture: one horizontal bar per question, split into Yes and No.

Anonymised (counts only), so it may go to governors as well as the DSL. Colour is never the
only cue: the No part is hatched, every bar has its numbers written beside it, and parts wide
enough say "Yes" or "No" on them. The size is 1200 x (80 per question + 200) pixels, on white.

Text uses DejaVu Sans or Liberation Sans when the system has them, else the scalable font that
comes with Pillow (ImageFont.load_default(size=...), Pillow 10.1+, which needs FreeType: Pillow's
wheels include it), else Pillow's small bitmap font: the layout measures whatever it got.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from bot.audit.results import AuditResults, QuestionCount, percent
from bot.drawing import Colour, hatched
from bot.drawing import fit as _fit
from bot.drawing import font as _font
from bot.drawing import line_height as _line_height
from bot.drawing import wrap as _wrap
from bot.drawing import write as _write
from bot.words import strings

WIDTH = 1200
ROW = 80
TOP = 150
BOTTOM = 50
MARGIN = 32
LABEL_RIGHT = 452
BAR_LEFT = 472
BAR_RIGHT = 1000
NUMBERS_LEFT = 1016
BAR_HEIGHT = 36

WHITE: Colour = (255, 255, 255)
INK: Colour = (31, 31, 31)
MUTED: Colour = (90, 90, 90)
GRID: Colour = (214, 214, 214)
STRIPE: Colour = (246, 247, 249)
YES_FILL: Colour = (26, 127, 75)  # a dark green: white text on it passes WCAG AA
NO_FILL: Colour = (196, 78, 12)  # vermillion: told apart from the green by more than hue
NO_HATCH: Colour = (240, 170, 120)
UNANSWERED_FILL: Colour = (200, 200, 200)
EMPTY_OUTLINE: Colour = (170, 170, 170)


def chart_size(results: AuditResults) -> tuple[int, int]:
    return WIDTH, ROW * len(results.counts) + TOP + BOTTOM


def results_chart_png(results: AuditResults) -> bytes:
    """The chart as PNG bytes."""
    width, height = chart_size(results)
    image = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(image)
    _heading(image, draw, results)
    plot_bottom = TOP + ROW * len(results.counts)
    for index in range(len(results.counts)):
        if index % 2 == 0:
            draw.rectangle(
                (MARGIN - 8, TOP + index * ROW, WIDTH - 8, TOP + (index + 1) * ROW - 1), fill=STRIPE
            )
    if results.counts:
        _grid(draw, plot_bottom)
    else:
        _write(draw, (MARGIN, TOP + 10), strings.CHART_NO_QUESTIONS, _font(20), MUTED)
    for index, count in enumerate(results.counts):
        _row(image, draw, count, results.finished, TOP + index * ROW)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _heading(image: Image.Image, draw: ImageDraw.ImageDraw, results: AuditResults) -> None:
    title = (
        strings.CHART_HEADING if results.closed_at is not None else strings.CHART_HEADING_SO_FAR
    ).format(year=results.academic_year)
    subtitle = strings.CHART_SUBTITLE.format(
        finished=results.finished,
        invited=results.invited,
        percent=percent(results.finished, results.invited),
    )
    if results.unfinished:
        subtitle += strings.CHART_SUBTITLE_UNFINISHED.format(unfinished=results.unfinished)
    _write(
        draw,
        (MARGIN, 36),
        _fit(title, _font(30, bold=True), WIDTH - 2 * MARGIN),
        _font(30, bold=True),
        INK,
    )
    _write(draw, (MARGIN, 76), _fit(subtitle, _font(20), WIDTH - 2 * MARGIN), _font(20), MUTED)
    legend = [(strings.CHART_LEGEND_YES, "yes"), (strings.CHART_LEGEND_NO, "no")]
    if any(c.unanswered for c in results.counts):
        legend.append((strings.CHART_LEGEND_UNANSWERED, "unanswered"))
    font = _font(18)
    x, middle = MARGIN, 118
    for text, kind in legend:
        _swatch(image, draw, (x, middle - 11, x + 34, middle + 11), kind)
        x += 44
        _write(draw, (x, middle), text, font, INK)
        x += int(draw.textlength(text, font=font)) + 32
    if results.finished:
        _write(
            draw, (WIDTH - MARGIN, middle), strings.CHART_LEGEND_NOTE, font, MUTED, align="right"
        )
    else:
        _write(
            draw,
            (WIDTH - MARGIN, middle),
            strings.CHART_NOBODY_YET,
            _font(18, bold=True),
            INK,
            align="right",
        )


def _grid(draw: ImageDraw.ImageDraw, plot_bottom: int) -> None:
    font = _font(16)
    for tick in (0, 25, 50, 75, 100):
        x = _x(tick / 100)
        draw.line((x, TOP, x, plot_bottom), fill=GRID if tick else MUTED, width=1 if tick else 2)
        _write(draw, (x, plot_bottom + 18), f"{tick}%", font, MUTED, align="center")


def _row(
    image: Image.Image, draw: ImageDraw.ImageDraw, count: QuestionCount, finished: int, top: int
) -> None:
    _label(draw, f"{count.number}. {count.question.label}", top)
    y0 = top + (ROW - BAR_HEIGHT) // 2
    y1 = y0 + BAR_HEIGHT
    if finished == 0:
        draw.rectangle((BAR_LEFT, y0, BAR_RIGHT, y1), outline=EMPTY_OUTLINE, width=1)
    else:
        x = BAR_LEFT
        parts = (
            (count.yes, "yes", strings.CHART_BAR_YES),
            (count.no, "no", strings.CHART_BAR_NO),
            (count.unanswered, "unanswered", ""),
        )
        done = 0
        for value, kind, word in parts:
            if not value:
                continue
            done += value
            end = _x(done / finished)
            _swatch(image, draw, (x, y0, end, y1), kind)
            _on_bar(draw, word, (x, y0, end, y1), kind)
            x = end
    lines = [
        strings.CHART_NUMBERS_YES.format(count=count.yes, percent=percent(count.yes, finished)),
        strings.CHART_NUMBERS_NO.format(count=count.no, percent=percent(count.no, finished)),
    ]
    if count.unanswered:
        lines.append(strings.CHART_NUMBERS_UNANSWERED.format(count=count.unanswered))
    font = _font(17 if len(lines) == 2 else 16)
    step = _line_height(font)
    first = top + ROW // 2 - step * (len(lines) - 1) / 2
    for k, line in enumerate(lines):
        _write(draw, (NUMBERS_LEFT, int(first + k * step)), line, font, INK)


def _label(draw: ImageDraw.ImageDraw, text: str, top: int) -> None:
    """The question's label, wrapped to the left column; smaller type if it needs it."""
    width = LABEL_RIGHT - MARGIN
    for size in (20, 18, 16, 14):
        font = _font(size)
        step = _line_height(font)
        lines = _wrap(text, font, width)
        if len(lines) * step <= ROW - 8:
            break
    else:
        most = max(1, (ROW - 8) // step)
        lines = lines[:most]
        lines[-1] = _fit(lines[-1] + " …", font, width)
    first = top + ROW // 2 - step * (len(lines) - 1) / 2
    for k, line in enumerate(lines):
        _write(draw, (MARGIN, int(first + k * step)), line, font, INK)


def _swatch(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    kind: str,
) -> None:
    """A filled part of a bar (or a legend key): green, hatched vermillion, or grey."""
    x0, _, x1, _ = box
    if x1 <= x0:
        return
    if kind == "yes":
        draw.rectangle(box, fill=YES_FILL)
    elif kind == "no":
        hatched(image, box, NO_FILL, NO_HATCH)
    else:
        draw.rectangle(box, fill=UNANSWERED_FILL)


def _on_bar(
    draw: ImageDraw.ImageDraw, word: str, box: tuple[int, int, int, int], kind: str
) -> None:
    """ "Yes" or "No" on a part of a bar, where it fits, on a solid patch so it stays legible."""
    if not word:
        return
    font = _font(17, bold=True)
    x0, y0, x1, y1 = box
    width = int(draw.textlength(word, font=font))
    if x1 - x0 < width + 16:
        return
    middle = (y0 + y1) // 2
    if kind == "no":
        half = _line_height(font) // 2 + 1
        draw.rectangle((x0 + 4, middle - half, x0 + 12 + width, middle + half), fill=NO_FILL)
    _write(draw, (x0 + 8, middle), word, font, WHITE)


def _x(fraction: float) -> int:
    return BAR_LEFT + round((BAR_RIGHT - BAR_LEFT) * max(0.0, min(1.0, fraction)))
