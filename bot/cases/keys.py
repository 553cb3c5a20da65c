"""How a case is named from outside: by its id (a button's value, a link) or its reference
(OS-2026-00001, typed)."""

from __future__ import annotations

import re

_CASE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")


def case_key(text: str) -> str | None:
    """`text` if it can name a case, else None: anything else (a NUL, a lone surrogate, a
    20-digit number) could only fail in the database, so it is "no such case" before any
    query, on every channel."""
    return text if _CASE_KEY.fullmatch(text) and text.isascii() else None
