"""Draw the Teams app icons, color.png and outline.png, with the standard library only.

    .venv/bin/python manifest/teams/make_icons.py

writes both files next to this script (the committed PNGs are its output; run it again only to
change the design). What Teams asks of the two icons:

- color.png: 192x192, full colour. Here: the app's accent colour (the same #1F4E79 as the Slack
  app's background colour) to every edge, and a white shield with a tick in the middle.
- outline.png: 32x32, white on a transparent background, no other colour. Here: the outline of
  the same shield with the tick inside; every pixel is either fully transparent or opaque white
  (no anti-aliasing, whose half-transparent edge pixels are not "white or transparent").

Both are 8-bit RGBA PNGs, every row with filter 0, written by `png_bytes` below.
"""

from __future__ import annotations

import itertools
import math
import struct
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ACCENT = (0x1F, 0x4E, 0x79)  # the manifest's accentColor, #1F4E79
WHITE = (0xFF, 0xFF, 0xFF)

Pixel = tuple[int, int, int, int]
Shape = Callable[[float, float], bool]

# The shield, in a unit box: x from -1 (left) to 1 (right), y from 0 (top) to 1 (bottom point).
_SIDES_END = 0.42  # the sides are straight down to here, then curve in to the point


def _in_shield(x: float, y: float, dip: float) -> bool:
    if not -1.0 <= x <= 1.0 or y > 1.0:
        return False
    if y < dip * (1.0 - x * x):  # the top edge: high at the corners, `dip` lower mid-way
        return False
    if y <= _SIDES_END:
        return True
    t = (y - _SIDES_END) / (1.0 - _SIDES_END)
    return abs(x) <= math.cos(t * math.pi / 2.0)


def _shield_in(left: float, top: float, width: float, height: float, dip: float) -> Shape:
    """The shield fitted to a box given in pixels; `dip` as a share of the height."""

    def inside(px: float, py: float) -> bool:
        return _in_shield((px - left) / width * 2.0 - 1.0, (py - top) / height, dip)

    return inside


def _eroded(shape: Shape, by: float) -> Shape:
    """The points of `shape` at least `by` from its edge (checked on a circle around each)."""
    ring = [
        (by * math.cos(2 * math.pi * k / 24), by * math.sin(2 * math.pi * k / 24))
        for k in range(24)
    ]

    def inside(px: float, py: float) -> bool:
        return shape(px, py) and all(shape(px + dx, py + dy) for dx, dy in ring)

    return inside


def _segment_distance(
    px: float, py: float, a: tuple[float, float], b: tuple[float, float]
) -> float:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _tick(points: Sequence[tuple[float, float]], half_width: float) -> Shape:
    """A thick polyline with round ends and joins."""
    segments = list(itertools.pairwise(points))

    def inside(px: float, py: float) -> bool:
        return any(_segment_distance(px, py, a, b) <= half_width for a, b in segments)

    return inside


def _coverage(shape: Shape, x: int, y: int, samples: int) -> float:
    """The share of pixel (x, y) that `shape` covers, from samples x samples points in it."""
    step = 1.0 / samples
    hits = sum(
        shape(x + (i + 0.5) * step, y + (j + 0.5) * step)
        for i in range(samples)
        for j in range(samples)
    )
    return hits / (samples * samples)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], share_of_b: float) -> tuple[int, ...]:
    return tuple(round(ca + (cb - ca) * share_of_b) for ca, cb in zip(a, b, strict=True))


def color_icon(size: int = 192) -> list[list[Pixel]]:
    """Accent colour to the edges; a white shield (about 60% of the height) with an accent tick."""
    scale = size / 192
    shield = _shield_in(54 * scale, 38 * scale, 84 * scale, 118 * scale, dip=0.06)
    tick = _tick(
        [(76 * scale, 93 * scale), (91 * scale, 108 * scale), (117 * scale, 78 * scale)], 7 * scale
    )
    rows: list[list[Pixel]] = []
    for y in range(size):
        row: list[Pixel] = []
        for x in range(size):
            white = _coverage(shield, x, y, 4)
            if white > 0:
                # The tick is the accent colour again, drawn on the white shield.
                white -= min(white, _coverage(tick, x, y, 4))
            r, g, b = _mix(ACCENT, WHITE, white)
            row.append((r, g, b, 255))
        rows.append(row)
    return rows


def outline_icon(size: int = 32) -> list[list[Pixel]]:
    """The shield's outline (2 px) and a tick, white; everything else fully transparent."""
    scale = size / 32
    # A flat top: at this size a dip only makes the corners ragged.
    shield = _shield_in(5 * scale, 3 * scale, 22 * scale, 27 * scale, dip=0.0)
    inner = _eroded(shield, 2.0 * scale)
    tick = _tick(
        [(10.5 * scale, 15 * scale), (14.5 * scale, 19 * scale), (21.5 * scale, 11 * scale)],
        1.4 * scale,
    )

    def drawn(px: float, py: float) -> bool:
        return (shield(px, py) and not inner(px, py)) or tick(px, py)

    rows: list[list[Pixel]] = []
    for y in range(size):
        row: list[Pixel] = []
        for x in range(size):
            on = _coverage(drawn, x, y, 4) >= 0.5
            row.append((255, 255, 255, 255) if on else (0, 0, 0, 0))
        rows.append(row)
    return rows


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bytes(rows: Sequence[Sequence[Pixel]]) -> bytes:
    """An 8-bit RGBA, non-interlaced PNG of `rows` (top row first), every row with filter 0."""
    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + bytes(v for pixel in row for v in pixel) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def main() -> None:
    for name, rows in (("color.png", color_icon()), ("outline.png", outline_icon())):
        (HERE / name).write_bytes(png_bytes(rows))
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
