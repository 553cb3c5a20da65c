"""Websocket frames from the page -> Inbound."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.messages import Inbound, User

CHANNEL = "web"
MAX_FRAME_CHARS = 20_000
MAX_VALUES = 50


class FrameError(ValueError):
    """A frame the page should never send; the message is safe to show the user."""


def parse_frame(raw: str, *, user: User) -> Inbound:
    if len(raw) > MAX_FRAME_CHARS:
        raise FrameError("That message is too long to send. Please shorten it and try again.")
    try:
        frame = json.loads(raw)
    except ValueError:
        raise FrameError("Sorry, that message could not be read. Please try again.") from None
    if not isinstance(frame, dict):
        raise FrameError("Sorry, that message could not be read. Please try again.")
    kind = frame.get("type")
    message_id = frame.get("id")
    if message_id is not None and (not isinstance(message_id, str) or len(message_id) > 100):
        raise FrameError("Sorry, that message could not be read. Please try again.")
    inbound = Inbound(
        channel=CHANNEL,
        conversation_key=user.email,
        user=user,
        message_id=f"{user.email}:{message_id}" if message_id else None,
    )
    if kind == "text":
        return replace(inbound, text=_string(frame.get("text")))
    if kind == "action":
        return replace(inbound, value=_string(frame.get("value")))
    if kind == "multi":
        values = frame.get("values")
        if not isinstance(values, list) or len(values) > MAX_VALUES:
            raise FrameError("Sorry, those choices could not be read. Please try again.")
        return replace(inbound, values=tuple(_string(v) for v in values))
    if kind == "file":
        return replace(inbound, attachments=1)
    raise FrameError("Sorry, that kind of message is not understood here.")


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise FrameError("Sorry, that message could not be read. Please try again.")
    return value
