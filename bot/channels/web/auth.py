"""The demo sign-in's cookie: a random session token and its issue time, signed.

The token names a row of `web_sessions` (by its SHA-256), so a sign-out or an idle timeout ends
it on the server; the signature and the issue time only keep forged, stale and future-dated
cookies from reaching the database at all.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

COOKIE = "osb_session"
# Binds a sign-in begun at the identity provider to the browser that began it (login CSRF).
SIGN_IN_COOKIE = "osb_sign_in"
MAX_AGE_SECONDS = 12 * 3600
# Several web processes sign cookies with their own clocks: allow them to disagree this much.
CLOCK_SKEW_SECONDS = 60
_MAC_BYTES = 32
_TOKEN_BYTES = 32
# Headers a reverse proxy adds. Through a proxy the peer is the proxy (often 127.0.0.1), so
# the peer's address says nothing about who is asking: the demo sign-in is refused.
FORWARDED_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP")


def cookie_name(name: str, *, secure: bool) -> str:
    """Behind https the cookies are `__Host-`: the browser then insists on Secure, Path=/ and no
    Domain, so no other host of the school's domain can set or read them."""
    return f"__Host-{name}" if secure else name


def load_secret(path: Path) -> bytes:
    """A per-installation signing secret, kept with the data (0600) so sign-ins survive restarts."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(32))
    return path.read_bytes()


def new_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


def session_id(token: str) -> str:
    """The key of the token's `web_sessions` row: the database alone gives no usable cookie."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign(token: str, *, secret: bytes, now: float) -> str:
    payload = f"{int(now)}|{token}".encode()
    mac = hmac.new(secret, payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(payload + mac).decode()


def verify(cookie: str, *, secret: bytes, now: float) -> str | None:
    """The session token in a genuine cookie issued in the last 12 hours (not in the future)."""
    try:
        raw = base64.urlsafe_b64decode(cookie.encode("ascii"))
    except (ValueError, binascii.Error):
        return None
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    expected = hmac.new(secret, payload, hashlib.sha256).digest()
    if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, expected):
        return None
    issued_text, _, token = payload.decode("ascii", "replace").partition("|")
    if not (issued_text.isascii() and issued_text.isdigit()) or len(issued_text) > 12:
        return None
    age = now - int(issued_text)
    if age > MAX_AGE_SECONDS or age < -CLOCK_SKEW_SECONDS or not token:
        return None
    return token


def is_loopback(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        return ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


def forwarded(headers: Mapping[str, str]) -> bool:
    """True when the request came through a proxy that said so."""
    return any(name in headers for name in FORWARDED_HEADERS)
