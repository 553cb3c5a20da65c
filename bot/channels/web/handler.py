"""The web chat: the page, the demo sign-in, the websocket, and the downloads (a case's
chronology, the audit's results), around the same turn entry point as every channel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.services import OneSchool, Schools, Services
from bot.channels.web import auth
from bot.channels.web import demo_sign_in as demo
from bot.channels.web.audit_routes import add_audit_routes
from bot.channels.web.check_routes import add_check_routes
from bot.channels.web.demo_sign_in import login_refusal
from bot.channels.web.export_routes import add_export_routes
from bot.channels.web.guard import Guard
from bot.channels.web.monitoring_stats_routes import add_monitoring_stats_routes
from bot.channels.web.notifier import WebNotifier
from bot.channels.web.oidc.routes import LOGIN_PATH, SchoolSignIn, step_up_location
from bot.channels.web.parse import (
    CHANNEL,
    MAX_FRAME_BYTES,
    FrameError,
    Search,
    decode,
    inbound_of,
    parse_search,
)
from bot.channels.web.render import render_all
from bot.channels.web.replies import NO_STORE, PAGE_HEADERS, person_json
from bot.channels.web.review_routes import add_review_routes
from bot.channels.web.sessions import SessionEnded, SignedIn, WebSessions
from bot.channels.web.step_up import opens_case, step_up_frame
from bot.channels.web.summary_routes import add_summary_routes
from bot.delivery.channel import Capabilities, StaffContact
from bot.delivery.messages import Inbound, Outbound, User
from bot.school.config import Person, SchoolConfig

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
_STATIC_FILES = frozenset(path.name for path in STATIC.iterdir() if path.is_file())
SERVICE_WORKER = "sw.js"  # caches the page's shell only (see the file)
_ERROR = "Sorry, something went wrong on our side. Your answers so far are saved; please try again."
ENDED = "You have been signed out. Please sign in again to carry on; your answers are saved."
# A socket closed because its session ended: 4000-4999 are the application's own codes.
CLOSE_ENDED = 4001
# How often every open socket's session is checked, so an idle timeout, or a sign-out in another
# process, closes a tab that neither sends nor receives anything.
SWEEP_SECONDS = 60.0


class WebChat:
    """Serves the page and one websocket per open tab; pushes messages to a person's tabs."""

    name = CHANNEL
    # The try-it-out channel: it asks the self-audit only when no platform is configured.
    capabilities = Capabilities(files_with_replies=False, stand_in=True)

    def __init__(
        self,
        *,
        services: Services,
        secret: bytes,
        allow_remote_login: bool,
        sessions: WebSessions,
        guard: Guard,
        demo_login: bool = True,
        secure_cookies: bool = False,
        school_sign_in: SchoolSignIn | None = None,
        schools: Schools | None = None,
    ) -> None:
        self.services = services
        # Whose each turn and download is: the school's, or a trust's (bot/trust_desk.py).
        self.schools: Schools = schools or OneSchool(services)
        self.school = services.school
        self.clock = services.clock
        self.secret = secret
        self.allow_remote_login = allow_remote_login
        self.demo_login = demo_login
        self.sessions = sessions
        self.guard = guard
        self.secure_cookies = secure_cookies
        self.cookie = auth.cookie_name(auth.COOKIE, secure=secure_cookies)
        self.school_sign_in = school_sign_in
        # Every open tab, by person: its socket and the session it was opened with.
        self.sockets: dict[str, dict[web.WebSocketResponse, str]] = defaultdict(dict)
        self._background: set[asyncio.Task[None]] = set()
        self.notifier = WebNotifier(self)

    def reconfigure(self, directory: SchoolConfig) -> None:
        """Whom the chat signs in and shows from now on (a trust's deployment reloaded its
        files): sessions of people no longer in it end at their next request."""
        self.school = directory
        self.sessions.school = directory
        if self.school_sign_in is not None:
            self.school_sign_in.school = directory

    async def staff(self, _session: AsyncSession) -> list[StaffContact]:
        """The people in the school's file: the web chat knows nobody else."""
        return [StaffContact(p.email, p.name, CHANNEL) for p in self.school.people]

    async def start(self) -> None:
        """Nothing to connect: the page and its sockets are served by the one server."""

    async def stop(self) -> None:
        """The open tabs close with the server; deliveries begun for opening tabs finish first
        (before the database goes: the server stops its channels before disposing of it)."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def add_routes(self, app: web.Application) -> None:
        app.middlewares.append(self.guard.middleware)
        app.router.add_get("/", self.page)
        app.router.add_get("/static/{name}", self.static)
        app.router.add_get("/api/web/people", self.people)
        app.router.add_post("/api/web/login", self.login)
        app.router.add_post("/api/web/logout", self.logout)
        app.router.add_get("/api/web/me", self.me)
        app.router.add_get("/api/web/session", self.session)
        app.router.add_get("/api/web/ws", self.websocket)
        if self.school_sign_in is not None:
            self.school_sign_in.add_routes(app, self)
        add_export_routes(app, self.schools, self.case_reader)
        add_audit_routes(app, self.schools, self.person)
        add_check_routes(app, self.schools, self.person)
        add_summary_routes(app, self.schools, self.person)
        add_review_routes(app, self.schools, self.person)
        add_monitoring_stats_routes(app, self.schools, self.person)
        app.cleanup_ctx.append(self._sweeping)

    async def page(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    async def static(self, request: web.Request) -> web.StreamResponse:
        """One of the page's own files; any other name is a 404, before the file system is
        asked (a 5,000-character name would otherwise fail there)."""
        name = request.match_info["name"]
        if name not in _STATIC_FILES:
            raise web.HTTPNotFound(text="Not found.")
        headers = {"X-Content-Type-Options": "nosniff"}
        if name == SERVICE_WORKER:
            # Its scope is the whole chat (the page is at /), though the file is under /static/.
            headers["Service-Worker-Allowed"] = "/"
        return web.FileResponse(STATIC / name, headers=headers)

    async def people(self, request: web.Request) -> web.Response:
        refusal = login_refusal(request, on=self.demo_login, remote_allowed=self.allow_remote_login)
        people = [person_json(p) for p in self.school.people] if refusal is None else []
        body: dict[str, Any] = {
            "school": self.school.name,
            "login_allowed": refusal is None,
            "people": people,
        }
        if refusal is not None and self.school_sign_in is None:
            body["login_message"] = refusal
        if self.school_sign_in is not None:
            body["school_sign_in"] = {"url": LOGIN_PATH}
        return web.json_response(body, headers=NO_STORE)

    async def login(self, request: web.Request) -> web.Response:
        refusal = login_refusal(request, on=self.demo_login, remote_allowed=self.allow_remote_login)
        if refusal is not None:
            return web.json_response({"error": refusal}, status=403)
        # A cross-site <form> can post text/plain or a form without a preflight; JSON it cannot.
        if request.content_type != "application/json":
            return web.json_response({"error": demo.JSON_ONLY}, status=415)
        try:
            body = decode(await request.text())
        except (FrameError, UnicodeDecodeError):
            body = None
        email = body.get("email") if isinstance(body, dict) else None
        person = self.school.person(email) if isinstance(email, str) and len(email) < 400 else None
        if person is None:
            return web.json_response({"error": demo.CHOOSE}, status=400)
        response = web.json_response(person_json(person))
        await self.begin_session(request, response, person, method="demo", mfa=False)
        return response

    async def begin_session(
        self,
        request: web.Request,
        response: web.StreamResponse,
        person: Person,
        *,
        method: str,
        mfa: bool,
        provider_auth_time: int | None = None,
    ) -> None:
        """Sign `person` in on this browser (the demo sign-in, or the school's provider): the
        browser's previous session ends and its tabs close, and the cookie is set."""
        previous = self._session_id(request)
        token = await self.sessions.start(
            person,
            replacing=previous,
            method=method,
            mfa=mfa,
            provider_auth_time=provider_auth_time,
        )
        if previous is not None:
            await self._end_sockets(lambda _ws, sid: sid == previous)
        response.set_cookie(
            self.cookie,
            auth.sign(token, secret=self.secret, now=self.clock().timestamp()),
            httponly=True,
            samesite="Strict",
            secure=self.secure_cookies,
            max_age=auth.MAX_AGE_SECONDS,
            path="/",
        )

    async def logout(self, request: web.Request) -> web.Response:
        """Ends every session of the person, here and in every other web process, and closes
        their open tabs: nothing stays signed in on a shared computer."""
        signed_in = await self.signed_in(request, touch=False)
        if signed_in is not None:
            email = signed_in.person.email
            await self.sessions.end_all(email)
            await self._end_sockets(lambda ws, _sid: ws in self.sockets.get(email, {}))
        response = web.json_response({"ok": True})
        response.del_cookie(self.cookie, path="/", secure=self.secure_cookies)
        return response

    async def me(self, request: web.Request) -> web.Response:
        person = await self.person(request)
        if person is None:
            return web.json_response({"error": "Not signed in."}, status=401, headers=NO_STORE)
        return web.json_response(person_json(person), headers=NO_STORE)

    async def session(self, request: web.Request) -> web.Response:
        """The page's "is anyone signed in?", answered 200 either way: not being signed in is
        the normal start, and a browser logs every 4xx as a console error. (The API's own
        routes, /api/web/me among them, still answer 401.)"""
        person = await self.person(request)
        body: dict[str, Any] = {"signed_in": person is not None}
        if person is not None:
            body["user"] = person_json(person)
        return web.json_response(body, headers=NO_STORE)

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        signed_in = await self.signed_in(request)
        if signed_in is None:
            return web.json_response({"error": "Not signed in."}, status=401)
        person, session_id = signed_in.person, signed_in.session_id
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME_BYTES)
        await ws.prepare(request)
        user = User(platform_id=person.email, email=person.email, display_name=person.name)
        self.sockets[person.email][ws] = session_id
        delivery: asyncio.Task[None] | None = None
        try:
            await ws.send_json({"type": "hello", "user": person_json(person)})
            start = Inbound(CHANNEL, person.email, user, session_start=True)
            await self._run(ws, start, reply_to=None)
            # What waited for them, the moment they open the chat: beside the tab, not before
            # it reads its first message (many tabs opening at once would queue one by one).
            delivery = self._in_background(self._deliver_waiting(person.email))
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await self._frame(ws, message.data, user, session_id)
                elif message.type == WSMsgType.BINARY:
                    gate = self.sessions.gate(session_id)
                    file = Inbound(CHANNEL, person.email, user, attachments=1, gate=gate)
                    await self._run(ws, file, None)
                if ws.closed:  # the session ended (checked with every frame)
                    break
        finally:
            if delivery is not None:  # the tab's delivery ends with it (a stop waits for both)
                await asyncio.wait([delivery])
            tabs = self.sockets.get(person.email, {})
            tabs.pop(ws, None)
            if not tabs:
                self.sockets.pop(person.email, None)
        return ws

    async def push(self, email: str, messages: list[Outbound]) -> int:
        """Send messages to every open tab of a person whose session is still live (checked in
        the database: it may have ended in another process); returns how many tabs got them."""
        tabs = {ws: sid for ws, sid in self.sockets.get(email, {}).items() if not ws.closed}
        live = await self.sessions.live(set(tabs.values()))
        frame = {"type": "messages", "items": render_all(messages), "reply_to": None}
        sent = 0
        for ws, session_id in tabs.items():
            if session_id not in live:
                await _end(ws)
            elif not ws.closed:
                await ws.send_json(frame)
                sent += 1
        return sent

    async def sweep(self) -> int:
        """Close every open tab whose session has ended (idle, or signed out elsewhere)."""
        open_tabs = {ws: sid for tabs in self.sockets.values() for ws, sid in tabs.items()}
        live = await self.sessions.live(set(open_tabs.values()))
        return await self._end_sockets(lambda _ws, sid: sid not in live)

    async def person(self, request: web.Request) -> Person | None:
        """The signed-in person of a request (a live session; this counts as activity)."""
        signed_in = await self.signed_in(request)
        return signed_in.person if signed_in is not None else None

    async def case_reader(self, request: web.Request) -> Person | web.StreamResponse | None:
        """Who may open a case through this request: None when nobody is signed in, or a
        redirect to sign in again when a case handler's sign-in at the provider is too old."""
        signed_in = await self.signed_in(request)
        if signed_in is None:
            return None
        if self.sessions.needs_step_up(signed_in):
            return web.Response(
                status=303,
                headers={"Location": step_up_location(request.path_qs), **NO_STORE},
            )
        return signed_in.person

    async def signed_in(self, request: web.Request, *, touch: bool = True) -> SignedIn | None:
        session_id = self._session_id(request)
        if session_id is None:
            return None
        return await self.sessions.check(session_id, touch=touch)

    def _session_id(self, request: web.Request) -> str | None:
        cookie = request.cookies.get(self.cookie)
        if not cookie or len(cookie) > 400:
            return None
        now = self.clock().timestamp()
        token = auth.verify(cookie, secret=self.secret, now=now)
        return auth.session_id(token) if token else None

    async def _end_sockets(self, which: Callable[[web.WebSocketResponse, str], bool]) -> int:
        chosen = [
            ws for tabs in list(self.sockets.values()) for ws, sid in tabs.items() if which(ws, sid)
        ]
        # Together: one tab slow to answer the close must not hold up the others (or sign-out).
        await asyncio.gather(*(_end(ws) for ws in chosen))
        return len(chosen)

    def _in_background(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._background.add(task)  # kept until done: the loop holds tasks only weakly
        task.add_done_callback(self._background.discard)
        return task

    async def _deliver_waiting(self, email: str) -> None:
        try:
            await self.schools.deliver_due(recipient=email)
        except Exception:  # the alerts stay queued; the sweep delivers them
            log.exception("delivering waiting alerts on connect failed")

    async def _sweeping(self, _app: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(SWEEP_SECONDS)
                try:
                    await self.sweep()
                except Exception:  # the next sweep tries again; frames and pushes check anyway
                    log.exception("checking the web chat's open sessions failed")

        task = asyncio.create_task(loop(), name="web-session-sweep")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self.stop()  # and so does this context, whichever ends first

    async def _frame(
        self, ws: web.WebSocketResponse, raw: str, user: User, session_id: str
    ) -> None:
        """One frame of a tab. A turn checks the session in its own transaction (its gate);
        what runs no turn checks it first. An ended session closes the tab, whatever came."""
        try:
            frame = decode(raw)
            search = parse_search(frame)
            inbound = None if search is not None else inbound_of(frame, user=user)
        except FrameError as error:
            if await self._live(ws, session_id) is not None:
                answer = {"type": "error", "text": str(error), "restore_text": error.restore_text}
                await ws.send_json(answer)
            return
        if inbound is None:
            if search is not None and await self._live(ws, session_id) is not None:
                await self._search(ws, search, user)
            return
        if opens_case(inbound):
            signed = await self._live(ws, session_id)
            if signed is None:
                return
            if self.sessions.needs_step_up(signed):
                await ws.send_json(step_up_frame(_frame_id(frame)))
                return
        gated = replace(inbound, gate=self.sessions.gate(session_id))
        await self._run(ws, gated, _frame_id(frame))

    async def _live(self, ws: web.WebSocketResponse, session_id: str) -> SignedIn | None:
        """The tab's session if it is live; else the tab is told and closed."""
        signed = await self.sessions.check(session_id)
        if signed is None:
            await _end(ws)
        return signed

    async def _run(self, ws: web.WebSocketResponse, inbound: Inbound, reply_to: str | None) -> None:
        try:
            replies = await self.schools.handle(inbound)
        except SessionEnded:  # the turn's gate: nothing of it was written
            await _end(ws)
            return
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
        services = await self.schools.of(
            channel=CHANNEL, conversation_key=user.email, email=user.email
        )
        choices = await services.people.choices(
            channel=CHANNEL,
            conversation_key=user.email,
            email=user.email,
            step_id=search.step_id,
            query=search.query,
        )
        items = [{"value": o.value, "label": o.label} for o in choices or []]
        frame = {"type": "search_results", "step": search.step_id, "query": search.query}
        await ws.send_json(frame | {"items": items})


async def _end(ws: web.WebSocketResponse) -> None:
    """Tell the tab its session ended (the page shows the sign-in), then close it."""
    if ws.closed:
        return
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.send_json({"type": "ended", "text": ENDED})
    await ws.close(code=CLOSE_ENDED, message=b"signed out")


def _frame_id(frame: Any) -> str | None:
    value = frame.get("id") if isinstance(frame, dict) else None
    return value if isinstance(value, str) else None
