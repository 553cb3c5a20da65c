"""Talking to the real web chat over loopback, for the security tests: the same helpers the
web chat's own tests use, and a few for reading and forging what a browser would send."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import Bot
from bot.channels.web import auth
from tests.web.chat import DSL, STAFF, Socket, open_chat, serve, sign_in

__all__ = [
    "DSL",
    "STAFF",
    "Client",
    "Socket",
    "cookie_of",
    "open_chat",
    "origin_of",
    "redated",
    "serve",
    "sign_in",
    "tracebacks",
]

Client = TestClient[web.Request, web.Application]


def origin_of(client: Client) -> str:
    """The origin the bot's own page is served from: http://127.0.0.1:<port>."""
    return str(client.make_url("/")).rstrip("/")


def cookie_of(client: Client) -> str:
    """The session cookie the client holds now."""
    for cookie in client.session.cookie_jar:
        if cookie.key == auth.COOKIE:
            return cookie.value
    raise AssertionError("no session cookie")


def redated(token: str, *, secret: bytes, issued: int) -> str:
    """A genuine cookie with its issue time changed and signed again with the real secret:
    what anyone holding the secret (a backup, a leaked file) could make."""
    raw = base64.urlsafe_b64decode(token.encode())
    payload = raw[:-32]
    _, _, rest = payload.partition(b"|")
    changed = f"{issued}|".encode() + rest
    mac = hmac.new(secret, changed, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(changed + mac).decode()


def tracebacks(records: list[logging.LogRecord]) -> list[str]:
    """Log records at ERROR or above that carry a traceback."""
    return [
        f"{r.name}: {r.getMessage()}" for r in records if r.levelno >= logging.ERROR and r.exc_info
    ]


async def web_bot(make_bot: Any, **overrides: Any) -> Bot:
    bot: Bot = await make_bot(**overrides)
    assert bot.web_chat is not None
    return bot
