"""What the bot's charts share (the self-audit's results, the governors' summary, the monitoring
figures): fonts, text measured and placed, and the hatching that keeps colour from being the
only cue.

Text uses DejaVu Sans or Liberation Sans when the system has them, else the scalable font that
comes with Pillow (ImageFont.load_default(size=...), Pillow 10.1+, which needs FreeType: Pillow's
wheels include it), else Pillow's small bitmap font: every layout measures whatever it got, and
places text by measuring rather than with anchors, which the bitmap font does not support.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Colour = tuple[int, int, int]
Align = Literal["left", "center", "right"]

_REGULAR = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf")
_BOLD = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf", "arialbd.ttf")


@lru_cache(maxsize=32)
def font(size: int, *, bold: bool = False) -> Font:
    return first_font(_BOLD if bold else _REGULAR, size)


def first_font(names: Sequence[str], size: int) -> Font:
    """The first of `names` the system has, else Pillow's own (see the module's docstring)."""
    for name in names:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)
    except (OSError, ImportError):  # Pillow built without FreeType: its bitmap font
        return ImageFont.load_default()


def write(
    draw: ImageDraw.ImageDraw,
    at: tuple[int, int],
    text: str,
    font: Font,
    fill: Colour,
    *,
    align: Align = "left",
    middle: bool = True,
) -> None:
    """Text at `at`: its left, centre or right edge there, its middle (or top) at that height."""
    x, y = at
    width = draw.textlength(text, font=font)
    if align == "center":
        x = round(x - width / 2)
    elif align == "right":
        x = round(x - width)
    _, top, _, bottom = draw.textbbox((0, 0), "Hg", font=font)
    top_y = round(y - top - (bottom - top) / 2) if middle else round(y - top)
    draw.text((x, top_y), text, font=font, fill=fill)


def fit(text: str, font: Font, width: int) -> str:
    """The text, shortened with an ellipsis if it is wider than `width` pixels."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap(text: str, font: Font, width: int) -> list[str]:
    """Words to lines no wider than `width` pixels; a word too long alone is cut."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}" if line else word
        if font.getlength(trial) <= width:
            line = trial
            continue
        if line:
            lines.append(line)
        while font.getlength(word) > width and len(word) > 1:
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines or [""]


def line_height(font: Font) -> int:
    _, top, _, bottom = font.getbbox("Hg")
    return int((bottom - top) * 1.35) + 2


def hatched(
    image: Image.Image, box: tuple[int, int, int, int], fill: Colour, hatch: Colour
) -> None:
    """A rectangle filled with `fill` and diagonal lines of `hatch`: a pattern as well as a
    colour, so the part it marks can be told apart in grey print or by someone colour-blind."""
    x0, y0, x1, y1 = box
    if x1 <= x0 or y1 <= y0:
        return
    tile = Image.new("RGB", (x1 - x0, y1 - y0), fill)
    lines = ImageDraw.Draw(tile)
    height = y1 - y0
    for k in range(-height, x1 - x0 + height, 9):
        lines.line((k, height, k + height, 0), fill=hatch, width=2)
    image.paste(tile, (x0, y0))
