"""Small text helpers shared by the engine and every channel."""

from __future__ import annotations

import re

_SCHEME = re.compile(r"\b(h)(tt)(ps?)(://)", re.IGNORECASE)
_DOT = re.compile(r"\[\.\]|\.")  # "[.]" is kept as it is, so defang(defang(x)) == defang(x)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def defang(text: str) -> str:
    """Make a URL or search term impossible to click or preview: hxxps://example[.]com."""
    return _DOT.sub("[.]", _SCHEME.sub(lambda m: f"{m[1]}xx{m[3]}{m[4]}", text))


def clean_typed_text(text: str) -> str:
    """Drop control characters that have no place in a written record; keep newlines and tabs."""
    return _CONTROL.sub("", text).strip()
