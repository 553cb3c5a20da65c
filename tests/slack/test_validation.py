"""The checks before bolt (bot/channels/slack/validation.py) pass every payload Slack sends as
stored here, signed as Slack signs, so they refuse only what Slack never sends."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.channels.slack.validation import Rejected, parse_body, verify_signature

PAYLOADS = sorted((Path(__file__).parent / "payloads").glob("*.json"))
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_732_560_000


def as_sent(payload: dict[str, object], name: str) -> tuple[bytes, str]:
    """The body Slack posts: JSON for events, a form for commands, `payload=` for the rest."""
    if payload.get("type") == "event_callback":
        return json.dumps(payload).encode(), "application/json"
    if name.startswith("command"):
        return urlencode(payload).encode(), "application/x-www-form-urlencoded"
    return urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"


def signature(body: bytes, timestamp: str) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("path", PAYLOADS, ids=[p.stem for p in PAYLOADS])
def test_every_stored_slack_payload_passes(path: Path) -> None:
    body, content_type = as_sent(json.loads(path.read_text()), path.stem)
    timestamp = str(NOW)
    verify_signature(
        body, timestamp=timestamp, signature=signature(body, timestamp), secret=SECRET, now=NOW
    )
    _text, payload = parse_body(body, content_type)
    assert payload


def test_the_signature_window_is_five_minutes_either_way() -> None:
    body = b"{}"
    for skew, accepted in ((300, True), (301, False), (-300, True), (-301, False)):
        timestamp = str(NOW + skew)
        check = {"timestamp": timestamp, "signature": signature(body, timestamp)}
        if accepted:
            verify_signature(body, **check, secret=SECRET, now=NOW)
        else:
            with pytest.raises(Rejected) as refused:
                verify_signature(body, **check, secret=SECRET, now=NOW)
            assert refused.value.status == 401
