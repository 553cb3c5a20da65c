"""The web chat's demo sign-in (pick a name from the school file, no password): for trying the
bot on the computer that runs it, and nowhere else."""

from __future__ import annotations

from aiohttp import web

from bot.channels.web import auth

NOT_LOCAL = "Demo sign-in only works on this computer (from 127.0.0.1)."
THROUGH_PROXY = (
    "The demo sign-in does not work through a proxy (this request came through one). Open the "
    "chat on the computer that runs the bot, at http://127.0.0.1."
)
SWITCHED_OFF = (
    "The demo sign-in is switched off on this installation: the school uses Slack or Teams. "
    "Please report a concern there."
)
JSON_ONLY = "Please send the sign-in as JSON (Content-Type: application/json)."
CHOOSE = "Please choose a person from the list."


def login_refusal(request: web.Request, *, on: bool, remote_allowed: bool) -> str | None:
    """Why the demo sign-in is refused to this request, or None."""
    if not on:
        return SWITCHED_OFF
    if auth.forwarded(request.headers):
        return THROUGH_PROXY
    if remote_allowed or auth.is_loopback(request.remote):
        return None
    return NOT_LOCAL
