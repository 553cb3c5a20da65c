"""The web chat's routes: the page, the demo sign-in and the websocket, around the router."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from bot.channels.web import auth
from bot.channels.web.parse import (
    CHANNEL,
    MAX_FRAME_BYTES,
    FrameError,
    Search,
    parse_frame,
    parse_search,
)
from bot.channels.web.render import render_all
from bot.messages import Inbound, Outbound, User
from bot.router import Router
from bot.school import Person, SchoolConfig

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
_ERROR = "Sorry, something went wrong on our side. Your answers so far are saved; please try again."


class WebChat:
    """Serves the page and one websocket per open tab; pushes messages to a person's tabs."""

    def __init__(
        self, *, router: Router, school: SchoolConfig, secret: bytes, allow_remote_login: bool
    ) -> None:
        self.router = router
        self.school = school
        self.secret = secret
        self.allow_remote_login = allow_remote_login
        self.sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)
        # Set by the app: deliver what waited for a person the moment they open the chat.
        self.on_connect: Callable[..., Awaitable[int]] | None = None

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.page)
        app.router.add_static("/static/", STATIC, append_version=False)
        app.router.add_get("/api/web/people", self.people)
        app.router.add_post("/api/web/login", self.login)
        app.router.add_post("/api/web/logout", self.logout)
        app.router.add_get("/api/web/me", self.me)
        app.router.add_get("/api/web/ws", self.websocket)

    async def page(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers=_SECURITY_HEADERS)

    async def people(self, request: web.Request) -> web.Response:
        allowed = self._login_allowed(request)
        people = [_person_json(p) for p in self.school.people] if allowed else []
        body = {"school": self.school.name, "login_allowed": allowed, "people": people}
        return web.json_response(body)

    async def login(self, request: web.Request) -> web.Response:
        if not self._login_allowed(request):
            message = "Demo sign-in only works on this computer (from 127.0.0.1)."
            return web.json_response({"error": message}, status=403)
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        email = body.get("email") if isinstance(body, dict) else None
        person = self.school.person(email) if isinstance(email, str) else None
        if person is None:
            return web.json_response({"error": "Please choose a person from the list."}, status=400)
        response = web.json_response(_person_json(person))
        response.set_cookie(
            auth.COOKIE,
            auth.sign(person.email, secret=self.secret),
            httponly=True,
            samesite="Strict",
            max_age=auth.MAX_AGE_SECONDS,
            path="/",
        )
        return response

    async def logout(self, _request: web.Request) -> web.Response:
        response = web.json_response({"ok": True})
        response.del_cookie(auth.COOKIE, path="/")
        return response

    async def me(self, request: web.Request) -> web.Response:
        person = self._person(request)
        if person is None:
            return web.json_response({"error": "Not signed in."}, status=401)
        return web.json_response(_person_json(person))

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        person = self._person(request)
        if person is None:
            return web.json_response({"error": "Not signed in."}, status=401)
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME_BYTES)
        await ws.prepare(request)
        user = User(platform_id=person.email, email=person.email, display_name=person.name)
        self.sockets[person.email].add(ws)
        try:
            await ws.send_json({"type": "hello", "user": _person_json(person)})
            start = Inbound(CHANNEL, person.email, user, session_start=True)
            await self._run(ws, start, reply_to=None)
            if self.on_connect is not None:
                try:
                    await self.on_connect(recipient=person.email)
                except Exception:  # the alerts stay queued; the sweep delivers them
                    log.exception("delivering waiting alerts on connect failed")
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await self._frame(ws, message.data, user)
                elif message.type == WSMsgType.BINARY:
                    await self._run(ws, Inbound(CHANNEL, person.email, user, attachments=1), None)
        finally:
            self.sockets[person.email].discard(ws)
        return ws

    async def push(self, email: str, messages: list[Outbound]) -> int:
        """Send messages to every open tab of a person; returns how many tabs got them."""
        frame = {"type": "messages", "items": render_all(messages), "reply_to": None}
        sent = 0
        for ws in list(self.sockets.get(email, ())):
            if not ws.closed:
                await ws.send_json(frame)
                sent += 1
        return sent

    async def _frame(self, ws: web.WebSocketResponse, raw: str, user: User) -> None:
        try:
            search = parse_search(raw)
            if search is not None:
                await self._search(ws, search, user)
                return
            inbound = parse_frame(raw, user=user)
        except FrameError as error:
            frame = {"type": "error", "text": str(error), "restore_text": error.restore_text}
            await ws.send_json(frame)
            return
        reply_to = _frame_id(raw)
        await self._run(ws, inbound, reply_to)

    async def _run(self, ws: web.WebSocketResponse, inbound: Inbound, reply_to: str | None) -> None:
        try:
            replies = await self.router.handle(inbound)
        except Exception:
            log.exception("web turn failed")
            await ws.send_json({"type": "error", "text": _ERROR})
            return
        # Always answer, even a duplicate with nothing new: the page waits for a reply to
        # re-enable its buttons.
        items = render_all(replies)
        await ws.send_json({"type": "messages", "items": items, "reply_to": reply_to})

    async def _search(self, ws: web.WebSocketResponse, search: Search, user: User) -> None:
        """The type-ahead of a person step: names only while that step is the current one."""
        choices = await self.router.people.choices(
            channel=CHANNEL,
            conversation_key=user.email,
            email=user.email,
            step_id=search.step_id,
            query=search.query,
        )
        items = [{"value": o.value, "label": o.label} for o in choices or []]
        frame = {"type": "search_results", "step": search.step_id, "query": search.query}
        await ws.send_json(frame | {"items": items})

    def _person(self, request: web.Request) -> Person | None:
        token = request.cookies.get(auth.COOKIE)
        email = auth.verify(token, secret=self.secret) if token else None
        return self.school.person(email) if email else None

    def _login_allowed(self, request: web.Request) -> bool:
        return self.allow_remote_login or auth.is_loopback(request.remote)


_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _person_json(person: Person) -> dict[str, Any]:
    return {"email": person.email, "name": person.name, "roles": [str(r) for r in person.roles]}


def _frame_id(raw: str) -> str | None:
    try:
        frame = json.loads(raw)
    except ValueError:
        return None
    value = frame.get("id") if isinstance(frame, dict) else None
    return value if isinstance(value, str) else None
