"""Files that leave the bot as spreadsheets (a case chronology, the self-audit's answers)."""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: never run as a formula (CSV injection)."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value
