"""What the channels may ask of the reports package: which button value starts a report of a
kind, from a command's words or a platform's shortcut. Pure, so a channel's parser can call it."""

from __future__ import annotations

from bot.reports import kinds
from bot.reports.menu import START


def start_value_for_command(words: str) -> str | None:
    """The value that starts the report kind these command words name (`/online-safety
    filtering`), or None when they name no kind."""
    kind = kinds.kind_for_command(words)
    return f"{START}{kind.id}" if kind else None


def default_start_value() -> str:
    """The value that starts the default kind (what a platform's "report" shortcut opens)."""
    return f"{START}{kinds.default_kind().id}"
