"""The demo sign-in: a signed cookie naming a person from the school configuration."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import time
from pathlib import Path

COOKIE = "osb_session"
MAX_AGE_SECONDS = 12 * 3600
_MAC_BYTES = 32


def load_secret(path: Path) -> bytes:
    """A per-installation signing secret, kept with the data (0600) so sign-ins survive restarts."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(32))
    return path.read_bytes()


def sign(email: str, *, secret: bytes, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    payload = f"{issued}|{email}".encode()
    mac = hmac.new(secret, payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(payload + mac).decode()


def verify(token: str, *, secret: bytes, now: float | None = None) -> str | None:
    """The e-mail in a valid, unexpired token; None otherwise."""
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except ValueError:
        return None
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    expected = hmac.new(secret, payload, hashlib.sha256).digest()
    if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, expected):
        return None
    issued_text, _, email = payload.decode().partition("|")
    current = now if now is not None else time.time()
    if not issued_text.isdigit() or current - int(issued_text) > MAX_AGE_SECONDS:
        return None
    return email


def is_loopback(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        return ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False
