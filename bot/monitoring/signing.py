"""Checking a provider's webhook request: its HMAC-SHA256 signature and its timestamp.

The provider signs `<timestamp>.<body>` (the timestamp header's text, a full stop, then the raw
body bytes) with the shared secret, and sends the hex digest as `sha256=<hex>`: the construction
of Slack's request signing (`v0:<timestamp>:<body>`,
https://api.slack.com/authentication/verifying-requests-from-slack), which many providers copy.
The timestamp is inside the signature, so an old request cannot be sent again with a new time.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

SIGNATURE_HEADER = "X-Monitoring-Signature"
TIMESTAMP_HEADER = "X-Monitoring-Timestamp"
_PREFIX = "sha256="


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for this body sent at `timestamp` (what a provider sends)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return _PREFIX + digest.hexdigest()


def signature_matches(secret: str, timestamp: str, body: bytes, given: str | None) -> bool:
    """Whether `given` is this body's signature (compared in constant time)."""
    if not given:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), given.strip())


def timestamp_fresh(timestamp: str | None, *, now: datetime, max_age_seconds: int) -> bool:
    """Whether the timestamp header is a number of seconds within `max_age_seconds` of now
    (either way: a clock ahead of ours is allowed as much as one behind)."""
    if not timestamp or not timestamp.strip().isdigit() or len(timestamp) > 12:
        return False
    return abs(now.timestamp() - int(timestamp)) <= max_age_seconds
