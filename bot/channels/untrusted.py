"""Checks on a document a platform posted, before any library of ours or theirs walks it.

JSON can carry what no platform sends and what breaks things further in: nesting deep enough to
exhaust a recursive walk, NUL (PostgreSQL refuses it in text mid-turn) and lone surrogates
(JSON's `\\ud800` escape; not encodable as UTF-8). The walk here is iterative, so a deep
document costs a loop, not the stack.
"""

from __future__ import annotations

from collections.abc import Mapping

MAX_DEPTH = 64  # Block Kit and Adaptive Card data nest a few levels; 64 is far beyond either


def text_problem(document: object, *, what: str, max_depth: int = MAX_DEPTH) -> str | None:
    """Why `document` cannot be taken (naming it `what`: "the payload", "the activity"), or
    None. The reason is a few words that never quote the document, so it can be logged."""
    pending: list[tuple[object, int]] = [(document, 0)]
    while pending:
        node, depth = pending.pop()
        if depth > max_depth:
            return f"{what} is nested too deeply"
        if isinstance(node, str):
            if not is_plain_text(node):
                return f"{what} holds text that is not valid Unicode"
        elif isinstance(node, Mapping):
            if not all(is_plain_text(str(key)) for key in node):
                return f"{what} holds text that is not valid Unicode"
            pending.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            pending.extend((item, depth + 1) for item in node)
    return None


def is_plain_text(text: str) -> bool:
    """No NUL and no lone surrogate: text every database and encoder takes as it is."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
