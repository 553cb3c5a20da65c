"""The school year, as English schools count it."""

from __future__ import annotations

from datetime import date


def academic_year(day: date) -> str:
    """English schools' academic year, September to August: 1 Sept 2026 is in "2026-27"."""
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"
