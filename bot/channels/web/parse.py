"""Websocket frames from the page -> Inbound."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from bot.delivery.messages import Inbound, User

CHANNEL = "web"
# The most one websocket message may carry. Generous, so that text over MAX_TEXT_CHARS still
# arrives whole (JSON may spend up to 12 bytes on one character) and can be handed back to edit;
# a bigger message closes the socket (1009), so the page never sends text over MAX_TEXT_CHARS.
MAX_FRAME_BYTES = 1024 * 1024
MAX_TEXT_CHARS = 20_000  # app.js has the same limit
MAX_VALUES = 50
MAX_TOKEN_CHARS = 100
_TOO_LONG = (
    "That is {length:,} characters; one message can hold at most {limit:,}. Please shorten it. "
    "Your text has been put back in the box so you can edit it."
)


class FrameError(ValueError):
    """A frame the page should never send; the message is safe to show the user.

    `restore_text` hands back text the user typed, so a refused message loses nothing.
    """

    def __init__(self, message: str, restore_text: str | None = None) -> None:
        super().__init__(message)
        self.restore_text = restore_text


_UNREADABLE = "Sorry, that message could not be read. Please try again."
MAX_SEARCH_CHARS = 100  # a type-ahead query; longer ones are refused, not searched


@dataclass(frozen=True)
class Search:
    """A type-ahead query for the person step `step_id`: no turn, just matches back."""

    step_id: str
    query: str


def decode(raw: str) -> Any:
    """The JSON in a frame or a request body, or a FrameError that is safe to show.

    Nesting deep enough to exhaust the recursion limit ("[" x 200,000 is well under the size
    limit) is refused like any other unreadable text, never raised as a RecursionError."""
    if len(raw) > MAX_FRAME_BYTES:
        raise FrameError("That message is too long to send. Please shorten it and try again.")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise FrameError(_UNREADABLE) from None


def parse_search(frame: Any) -> Search | None:
    """A decoded {"type": "search", "step": ..., "query": ...} frame; None for any other."""
    if not isinstance(frame, dict) or frame.get("type") != "search":
        return None
    step_id, query = frame.get("step"), frame.get("query")
    if not isinstance(step_id, str) or not isinstance(query, str) or len(step_id) > 100:
        raise FrameError("Sorry, that search could not be read. Please try again.")
    if len(query) > MAX_SEARCH_CHARS:
        raise FrameError("That is too long for a name. Please type fewer letters.")
    return Search(step_id, query)


def parse_frame(raw: str, *, user: User) -> Inbound:
    return inbound_of(decode(raw), user=user)


def inbound_of(frame: Any, *, user: User) -> Inbound:
    """A decoded frame -> Inbound."""
    if not isinstance(frame, dict):
        raise FrameError(_UNREADABLE)
    kind = frame.get("type")
    message_id = frame.get("id")
    if message_id is not None and (not isinstance(message_id, str) or len(message_id) > 100):
        raise FrameError(_UNREADABLE)
    inbound = Inbound(
        channel=CHANNEL,
        conversation_key=user.email,
        user=user,
        message_id=_delivery_id(user.email, message_id) if message_id else None,
    )
    if kind == "text":
        text = _string(frame.get("text"))
        if len(text) > MAX_TEXT_CHARS:
            message = _TOO_LONG.format(length=len(text), limit=MAX_TEXT_CHARS)
            raise FrameError(message, restore_text=text)
        return replace(inbound, text=text)
    if kind == "action":
        return replace(inbound, value=_string(frame.get("value")), token=_token(frame))
    if kind == "multi":
        values = frame.get("values")
        if not isinstance(values, list) or len(values) > MAX_VALUES:
            raise FrameError("Sorry, those choices could not be read. Please try again.")
        return replace(inbound, values=tuple(_string(v) for v in values), token=_token(frame))
    if kind == "file":
        return replace(inbound, attachments=1)
    raise FrameError("Sorry, that kind of message is not understood here.")


def _token(frame: dict[str, object]) -> str | None:
    """The click token the page copied from the prompt (dialogs/prompts.py); None when absent,
    which the router treats as an old button."""
    token = frame.get("token")
    if token is None:
        return None
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise FrameError(_UNREADABLE)
    return token


def _delivery_id(email: str, message_id: str) -> str:
    """The page's id for a message, as a key of fixed size that any database will store.

    It fits the 200-character column whatever the length of the e-mail address, and a NUL or a
    lone surrogate in an id (which PostgreSQL or SQLite refuse) cannot fail the turn.
    """
    raw = f"{email}\n{message_id}".encode("utf-8", "surrogatepass")
    return f"web:{hashlib.sha256(raw).hexdigest()}"


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise FrameError(_UNREADABLE)
    return value
