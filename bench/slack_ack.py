"""Slack ack time: signed requests to POST /slack/events, the real bot beside a bare bolt app.

Starts, on 127.0.0.1 (ephemeral ports): a fake Slack Web API (FakeSlackApi from
tests/slack/world.py); the real bot with Slack switched on (build_bot, then
create_app(bot, run_scheduler=False) on a web.AppRunner) on a fresh SQLite database in a temporary
folder; and a bare slack-bolt AsyncApp whose listeners for message events and block_actions only
`await ack()`, served by its own aiohttp app the way bot/channels/slack/handler.py serves the
bot's. Then files real online-safety concerns in a DM ("report", then the answers: typed ones as
message events, buttons as block_actions), sending every request, signed, to the bot and then
the same body, signed again, to the bare app. Each request is timed from sending it to receiving
the response, which is the ack. The bot runs its turn after the ack. The benchmark waits for that
turn to finish (untimed) before the bare request, so the two servers are timed on the same quiet
machine. Prints p50/p90/p99/max for both, the p99 ratio and whether the target (p99 under 100 ms
on SQLite and under 3x the bare app) is met.

    .venv/bin/python bench/slack_ack.py [--requests N] [--warmup W] [--same-process]

By default the bot and the bare app each run in a spawned process of their own. The client is
then not on the bot's event loop, as Slack would not be: a turn running after the ack cannot
hold up the client reading the ack. --same-process runs the servers, the fake API and the client
on one event loop instead.

Exit status: 0 when every request got a 200 and every concern filed got its reference number;
1 on an error (a non-200 answer, the conversation going off script, a turn not finished within
30 s, --max-seconds passed); 2 for bad arguments. Timings never change the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import multiprocessing
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from common import BenchFailure, percentile, run_bounded  # bench/ is on sys.path when run
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import build_bot
from bot.channels.slack.handler import EVENTS_PATH
from bot.server import create_app
from bot.settings import PROJECT_ROOT, Settings
from bot.words import strings

if str(PROJECT_ROOT) not in sys.path:  # run as a script, only bench/ is on sys.path
    sys.path.insert(0, str(PROJECT_ROOT))
from tests.slack.world import SIGNING_SECRET, TEAM, FakeSlackApi, blocks_of, text_of

TARGET_P99_MS = 100.0
TARGET_RATIO = 3.0
TURN_TIMEOUT_S = 30.0  # one turn after its ack; far above any sane turn, only so nothing hangs
START_TIMEOUT_S = 60.0  # a spawned server: import, migrate, listen
HTTP_TIMEOUT_S = 30.0
EXAMPLE_CONFIG = PROJECT_ROOT / "config" / "school.example.yaml"
BOT_TOKEN = "xoxb-bench-token"  # noqa: S105 (made up: only the fake Web API sees it)
REFERENCE = re.compile(r"\b[A-Z]{2}-\d{4}-\d{5,}\b")
STAFF = "USTAFF"
PEOPLE = {  # the Slack workspace: the reporter and the team the alerts go to (example school)
    STAFF: ("t.brannigan@example.org", "Tom Brannigan"),
    "UDSL": ("a.hartley@example.org", "Alice Hartley"),
    "UDEP1": ("d.osei@example.org", "Daniel Osei"),
    "UDEP2": ("p.lindqvist@example.org", "Petra Lindqvist"),
    "UHEAD": ("m.fenwick@example.org", "Martin Fenwick"),
}
# One concern (cyberbullying, no immediate danger), as tests/slack/test_slack_flows.py files it.
# Each value is clicked when the bot's newest message has a button with that value, else typed.
START = "report"
ANSWERS: tuple[str, ...] = (
    "no",  # immediate_danger
    "cyberbullying",  # category
    "yes",  # bullying_repeated
    "kept",  # bullying_evidence
    "no",  # bullying_illegal
    "no",  # about_adult
    "AB (Year 5), target; CD (Year 6), sent the messages",  # pupils
    "AB showed me messages calling her names in the class group chat.",  # what_happened
    "skip",  # your_concerns
    "no",  # disclosure
    "yes",  # safe_home
    "no",  # others_at_risk
    "The class teacher.",  # others_told
    "yesterday 15:00",  # happened_at
    "yesterday 15:30",  # found_out_at
    "WhatsApp group on a pupil's own phone",  # where
    "Spoke to the class teacher and kept the phone in the office.",  # actions_taken
    "yes",  # dsl_told_in_person
    "Class teacher",  # reporter_role
    "__submit",  # the summary's submit button
)
KINDS = ("message", "block_actions")


# --- the servers: the real bot and the bare app, each with a probe the driver can ask


class Probe:
    """What a server notes for the benchmark: its /slack/events handler's time per request and,
    for the bot, the turns finished after their acks and how long each took."""

    def __init__(self) -> None:
        self.handler_ms: list[float] = []
        self.turn_ms: list[float] = []
        self._changed = asyncio.Event()

    def timed_handler(
        self, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def timed(request: web.Request) -> web.StreamResponse:
            started = time.perf_counter()
            try:
                return await handler(request)
            finally:
                self.handler_ms.append((time.perf_counter() - started) * 1000)

        return timed

    def turn_done(self, ms: float) -> None:
        self.turn_ms.append(ms)
        self._changed.set()

    async def wait_turns(self, request: web.Request) -> web.Response:
        """GET /bench/turns?done=N answers once N turns have finished (a long poll)."""
        wanted = int(request.query["done"])
        try:
            async with asyncio.timeout(TURN_TIMEOUT_S):
                while len(self.turn_ms) < wanted:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            return web.json_response({"turns": len(self.turn_ms)}, status=504)
        return web.json_response({"turns": len(self.turn_ms)})

    async def stats(self, _request: web.Request) -> web.Response:
        return web.json_response({"handler_ms": self.handler_ms, "turn_ms": self.turn_ms})

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/bench/turns", self.wait_turns)
        app.router.add_get("/bench/stats", self.stats)


async def _listen(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()  # for the bot: the app's startup (migrate, sync people, dispatcher)
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, int(runner.addresses[0][1])


async def start_bot(api_url: str, data_dir: Path) -> tuple[web.AppRunner, int]:
    """The real bot, Slack on, SQLite in data_dir; no scheduler. Wraps (on this instance only)
    the Slack channel's /slack/events handler and its turn runner, to time them."""
    settings = Settings(
        data_dir=data_dir / "data",
        database_url=f"sqlite+aiosqlite:///{(data_dir / 'bot.db').as_posix()}",
        school_config=EXAMPLE_CONFIG,
        flows_dir=None,
        encryption_key=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token=None,
        slack_api_url=api_url,
    )
    bot = build_bot(settings)
    slack = bot.slack
    if slack is None:
        raise BenchFailure("the bot was built without its Slack channel")
    probe = Probe()
    slack.events = probe.timed_handler(slack.events)  # type: ignore[method-assign,assignment]
    safely = slack._safely  # the listeners' turn after the ack: parse, route, post the reply

    async def timed_turn(parse: Any) -> None:
        started = time.perf_counter()
        try:
            await safely(parse)
        finally:
            probe.turn_done((time.perf_counter() - started) * 1000)

    slack._safely = timed_turn  # type: ignore[method-assign]
    app = create_app(bot, run_scheduler=False)  # add_routes takes the wrapped handler
    probe.add_routes(app)
    return await _listen(app)


async def start_bare(api_url: str) -> tuple[web.AppRunner, int]:
    """A slack-bolt AsyncApp that only acks, served like the bot's (to_bolt_request ->
    async_dispatch -> to_aiohttp_response). The token goes on the client: bolt takes the
    client's token and ignores its own `token` argument when a client is given."""
    bolt = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=False,
    )

    @bolt.event("message")
    async def on_message(ack: AsyncAck) -> None:
        await ack()

    @bolt.action(re.compile(".*"))
    async def on_action(ack: AsyncAck) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    probe = Probe()
    app = web.Application(client_max_size=256 * 1024)  # as create_app's
    app.router.add_post(EVENTS_PATH, probe.timed_handler(events))
    probe.add_routes(app)
    return await _listen(app)


async def start_server(kind: str, api_url: str, data_dir: Path) -> tuple[web.AppRunner, int]:
    if kind == "bot":
        return await start_bot(api_url, data_dir)
    return await start_bare(api_url)


def _serve_in_child(kind: str, api_url: str, folder: str, conn: Connection) -> None:
    """A spawned process: serve until the driver says stop (or goes away)."""
    asyncio.run(_child(kind, api_url, Path(folder), conn))


async def _child(kind: str, api_url: str, data_dir: Path, conn: Connection) -> None:
    try:
        runner, port = await start_server(kind, api_url, data_dir)
    except Exception as error:
        conn.send(("error", f"{type(error).__name__}: {error}"))
        return
    try:
        conn.send(("ready", port))
        with contextlib.suppress(EOFError, OSError):
            await asyncio.to_thread(conn.recv)  # "stop"; EOF when the driver is gone
    finally:
        await runner.cleanup()  # the bot's: stop the dispatcher, dispose of the engine


@dataclass
class Server:
    name: str
    base_url: str
    stop: Callable[[], Awaitable[None]]

    @property
    def events_url(self) -> str:
        return self.base_url + EVENTS_PATH


async def serve_here(kind: str, api_url: str, data_dir: Path) -> Server:
    runner, port = await start_server(kind, api_url, data_dir)
    return Server(kind, f"http://127.0.0.1:{port}", runner.cleanup)


async def serve_in_process(kind: str, api_url: str, data_dir: Path) -> Server:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(
        target=_serve_in_child,
        args=(kind, api_url, str(data_dir), theirs),
        name=f"slack-ack-{kind}",
        daemon=True,  # never outlives the driver
    )
    process.start()
    theirs.close()

    async def stop() -> None:
        with contextlib.suppress(OSError):
            ours.send("stop")
        await asyncio.to_thread(process.join, 15)
        if process.is_alive():
            process.terminate()
            await asyncio.to_thread(process.join, 5)
        ours.close()

    def receive() -> tuple[str, Any]:
        if not ours.poll(START_TIMEOUT_S):
            return ("error", f"not listening within {START_TIMEOUT_S:g} s")
        try:
            message: tuple[str, Any] = ours.recv()
        except EOFError:
            return ("error", f"exited with status {process.exitcode} before listening")
        return message

    status, detail = await asyncio.to_thread(receive)
    if status != "ready":
        await stop()
        raise BenchFailure(f"the {kind} server did not start: {detail}")
    return Server(kind, f"http://127.0.0.1:{detail}", stop)


# --- the client: what Slack sends, signed


@dataclass(frozen=True)
class SlackRequest:
    kind: str  # "message" (an Events API DM) | "block_actions" (a button click)
    what: str  # for messages: the answer typed or clicked
    body: str
    content_type: str


def _button(message: dict[str, Any], value: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    for block in blocks_of(message):
        candidates = list(block.get("elements", []))
        if block.get("accessory"):
            candidates.append(block["accessory"])
        for element in candidates:
            if element.get("type") == "button" and element.get("value") == value:
                return block, element
    return None


class Conversation:
    """One member of staff filing concerns in a DM with the bot, one request at a time."""

    def __init__(self, api: FakeSlackApi, run_id: str) -> None:
        self.api = api
        self.run_id = run_id
        self.references: list[str] = []
        self._n = itertools.count(1)
        self._position = 0  # 0: send "report"; k: send ANSWERS[k - 1]
        self._posts_before = 0

    def next_request(self) -> SlackRequest:
        self._posts_before = len(self.api.posts_to(STAFF))
        if self._position == 0:
            return self._dm(START)
        value = ANSWERS[self._position - 1]
        newest = self.api.posts_to(STAFF)[-1]
        found = _button(newest, value)
        if found is not None:
            return self._click(newest, *found)
        if value == "__submit":
            raise BenchFailure(f"no submit button on the bot's last message: {_preview(newest)}")
        return self._dm(value)

    def after_turn(self, request: SlackRequest) -> None:
        """The bot has finished the turn: check what it posted, move to the next answer."""
        posts = self.api.posts_to(STAFF)[self._posts_before :]
        if not posts:
            raise BenchFailure(f"the bot posted nothing after {request.what!r}")
        texts = [text_of(p) for p in posts]
        if any(strings.SLACK_FAILED[:40] in t for t in texts):
            raise BenchFailure(f"the bot's turn failed after {request.what!r}: {texts[-1][:300]}")
        if self._position == len(ANSWERS):
            found = [m.group(0) for t in texts for m in [REFERENCE.search(t)] if m]
            if not found:
                raise BenchFailure(f"the concern ended without a reference: {texts[-1][:300]}")
            self.references.append(found[0])
            self._position = 0
        else:
            self._position += 1

    def _dm(self, text: str) -> SlackRequest:
        n = next(self._n)
        now = int(time.time())
        envelope = {
            "token": "unused-verification-token",
            "type": "event_callback",
            "team_id": TEAM,
            "api_app_id": "A0APP",
            "event_id": f"Ev{self.run_id}{n:08d}",
            "event_time": now,
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": "D" + STAFF,
                "user": STAFF,
                "text": text,
                "ts": f"{now}.{n:06d}",
                "event_ts": f"{now}.{n:06d}",
                "team": TEAM,
            },
            "authorizations": [
                {
                    "team_id": TEAM,
                    "user_id": "U0BOT0000",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        return SlackRequest("message", text, json.dumps(envelope), "application/json")

    def _click(
        self, message: dict[str, Any], block: dict[str, Any], element: dict[str, Any]
    ) -> SlackRequest:
        ts = message["_ts"]
        payload = {
            "type": "block_actions",
            "user": {
                "id": STAFF,
                "username": "t.brannigan",
                "name": "t.brannigan",
                "team_id": TEAM,
            },
            "api_app_id": "A0APP",
            "token": "unused-verification-token",
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": message["channel"],
                "is_ephemeral": False,
            },
            "trigger_id": "1.2.3",
            "team": {"id": TEAM, "domain": "example-school"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": message["channel"], "name": "directmessage"},
            "message": {
                "type": "message",
                "user": "U0BOT0000",
                "ts": ts,
                "text": message.get("text", ""),
                "blocks": blocks_of(message),
            },
            "state": {"values": {}},
            "response_url": "https://hooks.slack.com/actions/T0/1/x",
            "actions": [
                {
                    "type": "button",
                    "action_id": element["action_id"],
                    "block_id": block.get("block_id", ""),
                    "text": element.get("text", {}),
                    "value": element.get("value", ""),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        return SlackRequest(
            "block_actions", element["value"], body, "application/x-www-form-urlencoded"
        )


def _preview(message: dict[str, Any]) -> str:
    return text_of(message)[:300]


def _signed_headers(request: SlackRequest) -> dict[str, str]:
    """Slack's signature: v0=HMAC-SHA256(signing secret, "v0:{timestamp}:{body}")."""
    timestamp = str(int(time.time()))
    base = f"v0:{timestamp}:{request.body}".encode()
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": request.content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }


async def send(http: aiohttp.ClientSession, server: Server, request: SlackRequest) -> float:
    """POST one signed request; return ms from sending it to having read the whole response."""
    headers = _signed_headers(request)  # signing is Slack's work: not timed
    data = request.body.encode()
    started = time.perf_counter()
    async with http.post(server.events_url, data=data, headers=headers) as response:
        body = await response.read()
    elapsed_ms = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise BenchFailure(
            f"{server.name} answered {response.status} to a {request.kind} ({request.what!r}): "
            f"{body[:200]!r}"
        )
    return elapsed_ms


async def wait_turns(http: aiohttp.ClientSession, server: Server, done: int) -> None:
    async with http.get(f"{server.base_url}/bench/turns", params={"done": str(done)}) as response:
        if response.status != 200:
            raise BenchFailure(
                f"turn {done} not finished within {TURN_TIMEOUT_S:g} s of its ack "
                f"({(await response.json())['turns']} finished)"
            )


async def fetch_stats(http: aiohttp.ClientSession, server: Server) -> dict[str, list[float]]:
    async with http.get(f"{server.base_url}/bench/stats") as response:
        stats: dict[str, list[float]] = await response.json()
        return stats


# --- the run


@dataclass
class Results:
    kinds: list[str] = field(default_factory=list)
    bot_ms: list[float] = field(default_factory=list)
    bare_ms: list[float] = field(default_factory=list)
    bot_handler_ms: list[float] = field(default_factory=list)
    bare_handler_ms: list[float] = field(default_factory=list)
    turn_ms: list[float] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    wall_s: float = 0.0


async def bench(args: argparse.Namespace, data_dir: Path) -> Results:
    api = FakeSlackApi(users=dict(PEOPLE))
    api_runner, api_port = await _listen(api.app())
    api_url = f"http://127.0.0.1:{api_port}/api/"
    serve = serve_here if args.same_process else serve_in_process
    results = Results()
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(api_runner.cleanup)
        started = await asyncio.gather(
            serve("bot", api_url, data_dir),
            serve("bare", api_url, data_dir),
            return_exceptions=True,
        )
        for server in started:
            if isinstance(server, Server):
                stack.push_async_callback(server.stop)
        for server in started:
            if isinstance(server, BaseException):
                raise server
        bot, bare = started
        assert isinstance(bot, Server)
        assert isinstance(bare, Server)
        http = await stack.enter_async_context(
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S))
        )
        conversation = Conversation(api, uuid.uuid4().hex[:8])
        began = time.perf_counter()
        for i in range(args.warmup + args.requests):
            request = conversation.next_request()
            bot_ms = await send(http, bot, request)
            await wait_turns(http, bot, i + 1)  # untimed: the turn runs after the ack
            conversation.after_turn(request)
            bare_ms = await send(http, bare, request)  # the same body, signed again
            if i >= args.warmup:
                results.kinds.append(request.kind)
                results.bot_ms.append(bot_ms)
                results.bare_ms.append(bare_ms)
        results.wall_s = time.perf_counter() - began
        bot_stats, bare_stats = await fetch_stats(http, bot), await fetch_stats(http, bare)
        results.bot_handler_ms = bot_stats["handler_ms"][args.warmup :]
        results.bare_handler_ms = bare_stats["handler_ms"][args.warmup :]
        results.turn_ms = bot_stats["turn_ms"][args.warmup :]
        results.references = conversation.references
    return results


# --- the report


def _row(label: str, values: list[float]) -> str:
    cells = "  ".join(f"{percentile(values, p):7.2f}" for p in (50, 90, 99))
    return f"  {label:<24} {len(values):5d}  {cells}  {max(values):7.2f}"


def _of(kind: str, values: list[float], kinds: list[str]) -> list[float]:
    return [ms for ms, k in zip(values, kinds, strict=True) if k == kind]


def _p99_ratio(results: Results, kind: str) -> float:
    bot = _of(kind, results.bot_ms, results.kinds)
    return percentile(bot, 99) / percentile(_of(kind, results.bare_ms, results.kinds), 99)


def report(args: argparse.Namespace, results: Results) -> None:
    kinds = results.kinds
    where = (
        "servers, fake Web API and client on one event loop (--same-process)"
        if args.same_process
        else "bot and bare app each in a spawned process; client and fake Web API in this one"
    )
    print("slack ack: signed POST /slack/events, request sent -> response received, loopback")
    print(f"layout: {where}")
    print("database: SQLite in a temporary folder, deleted afterwards")
    print(
        f"requests: {len(kinds)} to each, interleaved (bot, bare, ...): "
        f"{kinds.count('message')} message events (DMs), {kinds.count('block_actions')} "
        f"block_actions (clicks) | warm-up: {args.warmup} to each, not counted | "
        f"{results.wall_s:.1f} s"
    )
    refs = results.references
    filed = f"{refs[0]} .. {refs[-1]}" if refs else "none finished"
    print(f"concerns filed: {len(refs)} (warm-up included; {filed})")
    header = f"  {'':<24} {'count':>5}  {'p50':>7}  {'p90':>7}  {'p99':>7}  {'max':>7}"
    print("ack, request sent -> response received (ms):")
    print(header)
    print(_row("bot", results.bot_ms))
    print(_row("bare app", results.bare_ms))
    for kind in KINDS:
        if kind in kinds:
            print(_row(f"bot, {kind}", _of(kind, results.bot_ms, kinds)))
            print(_row(f"bare app, {kind}", _of(kind, results.bare_ms, kinds)))
    print("server side, time in the /slack/events handler (verify, parse, dispatch, ack) (ms):")
    print(header)
    for kind in KINDS:
        if kind in kinds:
            print(_row(f"bot, {kind}", _of(kind, results.bot_handler_ms, kinds)))
            print(_row(f"bare app, {kind}", _of(kind, results.bare_handler_ms, kinds)))
    print("the bot's turn, after the ack and not part of it (ms):")
    print(_row("turn", results.turn_ms))
    if "block_actions" in kinds:
        print(
            "note: for block_actions bolt runs the listener as a task and polls every 10 ms for "
            "its ack() (process_before_response=False), in both apps: a floor of ~10 ms"
        )
    bot_p99, bare_p99 = percentile(results.bot_ms, 99), percentile(results.bare_ms, 99)
    ratio = bot_p99 / bare_p99
    per_kind = ", ".join(
        f"{kind} {_p99_ratio(results, kind):.2f}x" for kind in KINDS if kind in kinds
    )
    print(f"p99 ratio bot / bare: {ratio:.2f}x ({bot_p99:.2f} ms / {bare_p99:.2f} ms; {per_kind})")
    met = bot_p99 < TARGET_P99_MS and ratio < TARGET_RATIO
    print(
        f"target: p99 < {TARGET_P99_MS:g} ms and < {TARGET_RATIO:g}x bare -> "
        f"{'MET' if met else 'NOT MET'} (p99 = {bot_p99:.2f} ms, {ratio:.2f}x)"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=300, help="timed requests to each server (default 300)"
    )
    parser.add_argument(
        "--warmup", type=int, default=30, help="untimed requests to each first (default 30)"
    )
    parser.add_argument(
        "--same-process",
        action="store_true",
        help="run the servers on the client's event loop instead of in processes of their own",
    )
    parser.add_argument(
        "--max-seconds", type=float, default=300, help="give up after this long (default 300)"
    )
    args = parser.parse_args(argv)
    if args.requests < 1 or args.warmup < 0 or args.max_seconds <= 0:
        parser.error("--requests >= 1; --warmup >= 0; --max-seconds > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    outcome = run_bounded(
        lambda folder: bench(args, folder), prefix="slack-ack-", max_seconds=args.max_seconds
    )
    if outcome is None:
        return 1
    report(args, outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
