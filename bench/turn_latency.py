"""Turn latency of the web chat: the real bot, in-process, driven over a loopback websocket.

Starts the bot on 127.0.0.1 (an ephemeral port) on a fresh SQLite database in a temporary
folder, or on --database-url; signs in with the demo login; then runs a scripted online-safety
concern (23 turns, start to reference number) through /api/web/ws many times, timing every turn
from sending the frame to receiving its reply frame. Prints percentiles per turn, per flow and
per step, and whether issue 21's budget is met (p99 per turn < 10 ms for one person, < 100 ms for
several at once, on either database).

    .venv/bin/python bench/turn_latency.py [--flows N] [--users K] [--database-url URL]

Exit status: 0 when every flow ended with a reference number, 1 when one did not (the reason is
printed), 2 for bad arguments. Timings never change the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import itertools
import json
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from common import (  # bench/ is on sys.path when run
    BenchFailure,
    loop_name,
    percentile,
    reset_schema,
    run_bounded,
)
from floors import finish
from sqlalchemy.engine import make_url

from bot.app import Bot, build_bot
from bot.server import create_app
from bot.settings import PROJECT_ROOT, Settings

# Issue 21's budgets, on SQLite and PostgreSQL alike: one person's turn, and many at once.
TARGET_P99_MS = 10.0
TARGET_P99_MANY_MS = 100.0
RECEIVE_TIMEOUT_S = 30.0  # one reply; far above any sane turn, only there so nothing hangs
# Frames answering some other frame, tolerated while waiting for one reply. Pushes (an alert
# to the DSL or a deputy among the users, a report's confirmation: reply_to null) are not
# strays: they are counted and skipped, however many come.
MAX_STRAY_FRAMES = 5
EXAMPLE_CONFIG = PROJECT_ROOT / "config" / "school.example.yaml"
REFERENCE = re.compile(r"\b[A-Z]{2}-\d{4}-\d{5,}\b")


@dataclass(frozen=True)
class Step:
    """One scripted turn: what is being answered, the frame sent, and what must be asked next."""

    answers: str  # the step id on screen when the frame is sent ("menu", "summary", ...)
    kind: str  # "action" | "text" | "multi"
    payload: str | tuple[str, ...]
    expect: str  # the step id the reply must ask next


# A concern about harmful content (category + sub-kind), no immediate danger, a child's
# disclosure, a relative date, a URL to defang, then the summary's submit button.
PUPILS = "AB (Year 5), received the messages; CD (Year 6), sent them"
WHAT_HAPPENED = (
    "AB showed me racist messages and a meme in the class group chat at break. "
    "AB was upset and said it has been going on since half term."
)
CHILD_WORDS = "They keep sending it and laughing at me."
WHERE = "WhatsApp group, link https://chat.example.org/x on AB's phone"
ACTIONS = "Told AB to keep the messages; spoke to the class teacher."
SCRIPT: tuple[Step, ...] = (
    Step("menu",               "action", "start:concern",   "immediate_danger"),
    Step("immediate_danger",   "action", "no",              "category"),
    Step("category",           "action", "content",         "content_kind"),
    Step("content_kind",       "action", "hate",            "about_adult"),
    Step("about_adult",        "action", "no",              "pupils"),
    Step("pupils",             "text",   PUPILS,            "what_happened"),
    Step("what_happened",      "text",   WHAT_HAPPENED,     "your_concerns"),
    Step("your_concerns",      "text",   "skip",            "disclosure"),
    Step("disclosure",         "action", "yes",             "child_words"),
    Step("child_words",        "text",   CHILD_WORDS,       "questions_asked"),
    Step("questions_asked",    "text",   "none",            "told_next_steps"),
    Step("told_next_steps",    "action", "yes",             "child_self_harm"),
    Step("child_self_harm",    "action", "no",              "safe_home"),
    Step("safe_home",          "action", "yes",             "others_at_risk"),
    Step("others_at_risk",     "action", "no",              "others_told"),
    Step("others_told",        "text",   "No one yet.",     "happened_at"),
    Step("happened_at",        "text",   "yesterday 15:00", "found_out_at"),
    Step("found_out_at",       "text",   "yesterday 15:30", "where"),
    Step("where",              "text",   WHERE,             "actions_taken"),
    Step("actions_taken",      "text",   ACTIONS,           "dsl_told_in_person"),
    Step("dsl_told_in_person", "action", "no",              "reporter_role"),
    Step("reporter_role",      "text",   "Class teacher",   "summary"),
    Step("summary",            "action", "__submit",        "menu"),
)  # fmt: skip


@dataclass
class Results:
    turn_ms: list[float] = field(default_factory=list)
    flow_ms: list[float] = field(default_factory=list)
    step_ms: dict[str, list[float]] = field(default_factory=dict)
    router_ms: list[float] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0  # the whole process (server, client, database threads) while timed
    loop_cpu_s: float = 0.0  # the event loop's thread only (server and client coroutines)
    pushes: int = 0  # frames pushed unasked to the users (alerts, confirmations), skipped


# --- the client: one signed-in person with one open tab


class ChatClient:
    def __init__(self, base_url: str, email: str, run_id: str) -> None:
        self.base_url = base_url
        self.email = email
        self._ids = itertools.count(1)
        self._run_id = run_id
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._token: str | None = None  # the newest question's click token
        self.pushes = 0  # frames the server pushed unasked (alerts, confirmations)
        self.pushed: list[dict[str, Any]] = []  # those not yet looked at by the flow

    async def open(self) -> None:
        # unsafe=True: aiohttp's jar otherwise ignores cookies set by a bare IP address.
        self._http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=aiohttp.ClientTimeout(total=RECEIVE_TIMEOUT_S),
        )
        async with self._http.post(
            f"{self.base_url}/api/web/login", json={"email": self.email}
        ) as response:
            if response.status != 200:
                body = await response.text()
                raise BenchFailure(f"login as {self.email} failed: {response.status} {body}")
        self._ws = await self._http.ws_connect(f"{self.base_url}/api/web/ws", heartbeat=None)
        hello = await self._receive()
        if hello.get("type") != "hello":
            raise BenchFailure(f"{self.email}: expected a hello frame, got {hello}")
        opening = await self._receive()
        asked = _asked(opening)
        if asked != "menu":
            raise BenchFailure(
                f"{self.email}: the chat opened at {asked!r}, not the menu. Is the database left "
                "over from another run (an unfinished draft, or another encryption key)? Use a "
                "fresh database (for PostgreSQL: --reset-schema)."
            )

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()

    async def turn(self, step: Step) -> tuple[float, dict[str, Any]]:
        """Send one frame; return (ms from send to its reply frame, the reply frame)."""
        assert self._ws is not None
        frame_id = f"{self._run_id}-{next(self._ids)}"
        frame: dict[str, Any] = {"type": step.kind, "id": frame_id}
        if step.kind == "action":
            frame["value"] = step.payload
        elif step.kind == "text":
            frame["text"] = step.payload
        else:
            frame["values"] = list(step.payload)
        if step.kind != "text" and self._token is not None:
            frame["token"] = self._token  # the newest question's, as app.js sends it
        raw = json.dumps(frame)
        started = time.perf_counter()
        await self._ws.send_str(raw)
        strays = 0
        while strays <= MAX_STRAY_FRAMES:
            message = await self._receive_raw()
            elapsed_ms = (time.perf_counter() - started) * 1000
            reply = _decode(message, self.email)
            if reply.get("type") == "error":
                raise BenchFailure(f"{self.email} at {step.answers!r}: server error: {reply}")
            if reply.get("type") == "messages" and reply.get("reply_to") is None:
                self.pushes += 1
                self.pushed.append(reply)
                continue
            if reply.get("reply_to") != frame_id:
                strays += 1
                continue
            if reply.get("reply_to") == frame_id:
                self._remember_token(reply)
                return elapsed_ms, reply
        raise BenchFailure(f"{self.email} at {step.answers!r}: no reply to frame {frame_id}")

    def _remember_token(self, frame: dict[str, Any]) -> None:
        """The newest question's click token, sent with the next click as app.js does."""
        shown = [i for i in frame.get("items") or [] if i.get("kind") in {"question", "summary"}]
        if shown:
            self._token = shown[-1].get("token")

    async def confirmation(self) -> dict[str, Any]:
        """The push that confirms a report (its reference): the reporter's confirmation is an
        outbox row, delivered after the submit's own reply, or just before it."""
        while True:
            for frame in self.pushed:
                if _reference_in(frame):
                    self.pushed.clear()
                    self._remember_token(frame)  # its menu is the question answered next
                    return frame
            frame = await self._receive()
            if frame.get("type") == "messages" and frame.get("reply_to") is None:
                self.pushes += 1
                self.pushed.append(frame)

    async def _receive(self) -> dict[str, Any]:
        return _decode(await self._receive_raw(), self.email)

    async def _receive_raw(self) -> aiohttp.WSMessage:
        assert self._ws is not None
        try:
            return await self._ws.receive(timeout=RECEIVE_TIMEOUT_S)
        except TimeoutError:
            raise BenchFailure(
                f"{self.email}: no frame from the server within {RECEIVE_TIMEOUT_S:g} s"
            ) from None


def _decode(message: aiohttp.WSMessage, email: str) -> dict[str, Any]:
    if message.type != aiohttp.WSMsgType.TEXT:
        raise BenchFailure(f"{email}: expected a text frame, got {message.type.name}")
    frame = json.loads(message.data)
    if not isinstance(frame, dict):
        raise BenchFailure(f"{email}: frame is not an object: {message.data[:200]}")
    return frame


def _asked(frame: dict[str, Any]) -> str | None:
    """The step a messages frame asks now: a step id, "summary", "menu", or None."""
    if frame.get("type") != "messages":
        return None
    for item in reversed(frame.get("items") or []):
        if item.get("kind") == "summary":
            return "summary"
        if item.get("kind") == "question":
            return "menu" if item.get("input") == "menu" else item.get("step_id")
    return None


def _reference_in(frame: dict[str, Any]) -> str | None:
    notices = [i.get("text") or "" for i in frame.get("items", []) if i.get("kind") == "notice"]
    found = [m.group(0) for text_ in notices for m in [REFERENCE.search(text_)] if m]
    return found[0] if found else None


async def run_flow(client: ChatClient, results: Results | None, think: float = 0.0) -> None:
    """One whole concern, start to reference number; records timings unless warming up.
    `think`: seconds the person takes over each answer before sending it (not timed)."""
    turn_ms: list[float] = []
    reply: dict[str, Any] = {}
    for step in SCRIPT:
        if think:
            await asyncio.sleep(think)
        elapsed_ms, reply = await client.turn(step)
        turn_ms.append(elapsed_ms)
        asked = _asked(reply)
        if asked is None and step is SCRIPT[-1]:
            # The submit's own reply may be empty: the confirmation, with the menu, is pushed
            # (an outbox row, so it is not lost if the tab closes). Not counted in the turn.
            reply = await client.confirmation()
            asked = _asked(reply)
        if asked != step.expect:
            raise BenchFailure(
                f"{client.email}: after answering {step.answers!r} the bot asks {asked!r}, "
                f"expected {step.expect!r}. Reply: {json.dumps(reply)[:600]}"
            )
    found = _reference_in(reply)
    if not found:
        raise BenchFailure(f"{client.email}: the flow ended without a reference: {reply}")
    if results is not None:
        results.turn_ms.extend(turn_ms)
        results.flow_ms.append(sum(turn_ms))
        for step, ms in zip(SCRIPT, turn_ms, strict=True):
            results.step_ms.setdefault(step.answers, []).append(ms)
        results.references.append(found)


async def run_user(
    client: ChatClient, flows: int, results: Results, think: float = 0.0, offset: float = 0.0
) -> None:
    await asyncio.sleep(offset)  # people do not all start at the same moment
    for _ in range(flows):
        await run_flow(client, results, think)


# --- the server


def _time_router(bot: Bot, sink: list[float], enabled: list[bool]) -> None:
    """Wrap this bot's router.handle (on the instance only) to see the server-side share."""
    handle = bot.router.handle

    async def timed(inbound: Any) -> Any:
        started = time.perf_counter()
        try:
            return await handle(inbound)
        finally:
            if enabled[0]:
                sink.append((time.perf_counter() - started) * 1000)

    bot.router.handle = timed  # type: ignore[method-assign]


def _people(bot: Bot, count: int) -> list[str]:
    """Distinct people, plain staff first: each simulated user is one person, one tab."""
    people = sorted(bot.school.people, key=lambda p: {str(r) for r in p.roles} != {"staff"})
    if count > len(people):
        raise BenchFailure(f"--users {count}: the school file has only {len(people)} people")
    return [p.email for p in people[:count]]


def school_for(people: int, data_dir: Path) -> Path:
    """The example school, or, when `people` is more than it has, the example school plus
    `people` generated members of staff in a temporary school file (bench/scale_seed.py's), so
    that every user is plain staff (the safeguarding team, alerted, is not among them)."""
    from scale_seed import write_school  # imported here: scale_seed imports this module

    example = _example_people()
    if people <= example:
        return EXAMPLE_CONFIG
    path, _reporter, _count = write_school(data_dir, people)
    return path


def _example_people() -> int:
    import yaml

    return len(yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))["people"])


def bench_settings(data_dir: Path, database_url: str, school: Path) -> Settings:
    """The bot's settings for a web chat benchmark: a temporary folder for keys and SQLite."""
    url = database_url or f"sqlite+aiosqlite:///{(data_dir / 'bot.db').as_posix()}"
    return Settings(
        data_dir=data_dir / "data",
        database_url=url,
        school_config=school,
        flows_dir=None,
        encryption_key=None,
        web_chat_enabled=True,
        web_demo_login_remote=False,
    )


@contextlib.asynccontextmanager
async def serving(bot: Bot) -> AsyncIterator[str]:
    """Serve the bot's web app on 127.0.0.1 (an ephemeral port); yields its base URL. The app's
    startup runs the migrations and syncs the people; its cleanup disposes of the engine."""
    # Settled as `python -m bot run` settles its memory once started (bot/server.py).
    runner = web.AppRunner(create_app(bot, run_scheduler=False, settle_memory=True))
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def bench(args: argparse.Namespace, data_dir: Path) -> Results:
    if args.database_url and args.reset_schema:
        await reset_schema(args.database_url)
    school = school_for(args.users, data_dir)
    bot = build_bot(bench_settings(data_dir, args.database_url, school))
    results = Results()
    timing = [False]
    _time_router(bot, results.router_ms, timing)
    clients: list[ChatClient] = []
    async with serving(bot) as base_url:
        try:
            run_id = uuid.uuid4().hex[:8]
            clients = [ChatClient(base_url, email, run_id) for email in _people(bot, args.users)]
            for client in clients:
                await client.open()
            for _ in range(args.warmup):
                await run_flow(clients[0], None)
            shares = [args.flows // len(clients)] * len(clients)
            for i in range(args.flows % len(clients)):
                shares[i] += 1
            profiler = cProfile.Profile() if args.profile else None
            timing[0] = True
            if profiler is not None:
                profiler.enable()
            started = time.perf_counter()
            cpu_started, loop_cpu_started = time.process_time(), time.thread_time()
            # With --think, each person starts a share of one think time after the one before.
            offsets = [args.think * i / len(clients) for i in range(len(clients))]
            await asyncio.gather(
                *(
                    run_user(c, n, results, args.think, offset)
                    for c, n, offset in zip(clients, shares, offsets, strict=True)
                    if n
                )
            )
            results.wall_s = time.perf_counter() - started
            results.cpu_s = time.process_time() - cpu_started
            results.loop_cpu_s = time.thread_time() - loop_cpu_started
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(args.profile)
            timing[0] = False
        finally:
            results.pushes = sum(client.pushes for client in clients)
            for client in clients:
                await client.close()
    return results


# --- the report


def report(args: argparse.Namespace, results: Results) -> None:
    if args.database_url:
        backend = make_url(args.database_url).get_backend_name()
        shown = make_url(args.database_url).render_as_string(hide_password=True)
    else:
        backend, shown = "sqlite", "SQLite in a temporary folder, deleted afterwards"
    turns = results.turn_ms
    wall_s = results.wall_s
    p99 = percentile(turns, 99)

    def row(values: list[float], *ps: float) -> str:
        return "  ".join(f"p{p:g} {percentile(values, p):7.2f}" for p in ps)

    print("turn latency: web chat, in-process server, websocket over loopback")
    print(f"event loop: {loop_name()}")
    print(f"database: {shown}")
    print(
        f"users: {args.users} concurrent | warm-up: {args.warmup} flow(s), not counted | "
        f"script: {len(SCRIPT)} turns per flow | think: {args.think:g} s before each answer"
    )
    print(f"total: {len(results.flow_ms)} flows, {len(turns)} turns in {wall_s:.2f} s")
    print(f"pushed to the users meanwhile (alerts, confirmations; skipped): {results.pushes}")
    print(f"throughput: {len(turns) / wall_s:.1f} turns/s")
    print(
        f"CPU per turn: {results.cpu_s / len(turns) * 1000:.2f} ms in this process, of which "
        f"{results.loop_cpu_s / len(turns) * 1000:.2f} ms on the event loop's thread "
        f"(wall per turn at this concurrency: {wall_s / len(turns) * 1000:.2f} ms)"
    )
    print(f"per turn (ms):  {row(turns, 50, 90, 99)}  max {max(turns):7.2f}")
    print(f"per flow (ms):  {row(results.flow_ms, 50, 99)}  max {max(results.flow_ms):7.2f}")
    if results.router_ms:
        print(
            f"router.handle (ms, server-side share of a turn): "
            f"{row(results.router_ms, 50, 99)}  max {max(results.router_ms):7.2f}"
        )
    print("per step (ms), the step answered by the turn:")
    print(f"  {'step':<20} {'frame':<26} {'p50':>7} {'p99':>7} {'max':>7}")
    for step in SCRIPT:
        values = results.step_ms[step.answers]
        sent = f"{step.kind}:{step.payload if step.kind == 'action' else '...'}"
        print(
            f"  {step.answers:<20} {sent:<26} {percentile(values, 50):7.2f} "
            f"{percentile(values, 99):7.2f} {max(values):7.2f}"
        )
    slowest = max(SCRIPT, key=lambda s: percentile(results.step_ms[s.answers], 99))
    slow_values = results.step_ms[slowest.answers]
    print(
        f"slowest step by p99: {slowest.answers} (p50 {percentile(slow_values, 50):.2f} ms, "
        f"p99 {percentile(slow_values, 99):.2f} ms)"
    )
    print(f"references: {results.references[0]} .. {results.references[-1]}")
    budget = TARGET_P99_MS if args.users == 1 else TARGET_P99_MANY_MS
    verdict = "MET" if p99 < budget else "NOT MET"
    target = f"p99 per turn < {budget:g} ms ({backend}, {args.users} user(s))"
    print(f"target: {target} -> {verdict} (p99 = {p99:.2f} ms)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=200, help="timed whole flows (default 200)")
    parser.add_argument("--users", type=int, default=1, help="concurrent users (default 1)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed flows first (default 5)")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds each person takes over an answer before sending it (default 0: at once)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="SQLAlchemy URL (default: SQLite in a temporary folder); use an empty database",
    )
    parser.add_argument(
        "--reset-schema",
        action="store_true",
        help="PostgreSQL only: DROP SCHEMA public CASCADE and recreate it first (destroys data)",
    )
    parser.add_argument(
        "--max-seconds", type=float, default=900, help="give up after this long (default 900)"
    )
    parser.add_argument("--profile", metavar="FILE", help="write cProfile stats of the timed part")
    parser.add_argument(
        "--no-floors",
        action="store_true",
        help="skip the floors (websocket echo at --users, one commit) measured after the run",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the headline figures as JSON")
    args = parser.parse_args(argv)
    if args.flows < 1 or args.users < 1 or args.warmup < 0 or args.max_seconds <= 0:
        parser.error("--flows, --users >= 1; --warmup >= 0; --max-seconds > 0")
    if args.think < 0:
        parser.error("--think cannot be negative")
    if args.users > args.flows:
        parser.error("--users cannot exceed --flows (every user runs at least one flow)")
    if args.reset_schema and (
        not args.database_url or make_url(args.database_url).get_backend_name() != "postgresql"
    ):
        parser.error("--reset-schema needs a postgresql --database-url")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    outcome = run_bounded(
        lambda folder: bench(args, folder), prefix="turn-latency-", max_seconds=args.max_seconds
    )
    if outcome is None:
        return 1
    report(args, outcome)
    p99 = percentile(outcome.turn_ms, 99)
    figures: dict[str, object] = {
        "p50": percentile(outcome.turn_ms, 50),
        "p99": p99,
        "count": len(outcome.turn_ms),
        "errors": 0,
        "users": args.users,
        "pushes": outcome.pushes,
    }
    return finish(args, figures, p99, concurrency=args.users)


if __name__ == "__main__":
    sys.exit(main())
