"""Audit invitation pacing: does InvitationSender keep a platform's rate limit, and how close to
it does it get?

Starts, on 127.0.0.1, a fake Slack Web API (tests/slack/world.py's FakeSlackApi, answering
users.lookupByEmail, conversations.open and chat.postMessage in Slack's shapes) that enforces a
rate limit: at most --limit accepted requests per method in any --window seconds (a sliding
window); beyond that it answers 429 with Retry-After, as Slack does. Queues --invitations audit
invitations (one campaign, one participant each, on a fresh SQLite database in a temporary
folder) and sends them with the REAL SlackNotifier (slack-sdk's AsyncWebClient pointed at the
fake, with the bot's retry handler) through InvitationSender, whose Slack pacer is set to the
fake's limit: Limit(--limit, --window).

    .venv/bin/python bench/audit_pacing.py [--invitations N] [--limit C] [--window W]
                                           [--tick SECONDS] [--max-seconds S]
                                           [--kind audit|briefing]

With --kind briefing the campaign is a staff briefing (bot/briefings: kind "briefing", its
title and the flow staff walk, made as "brief" makes them) and each invitation is the one the
sender itself composes for it, the briefing's card: briefings share this sender and its pacing.

By default the sender's `run_until_idle` sends everything; with --tick, `deliver_due` is called
every TICK seconds instead, as the scheduler calls it in production (every 10 s).

Prints: invitations delivered, duplicates (a second chat.postMessage into the same DM; must be
0), 429s the fake answered, the achieved rate against the allowed one and their ratio (target:
within 10%), p50/p99 of each invitation's notifier.deliver call, and how long a 2,000-person
campaign takes at the default (documented) limits of Slack, Teams and the web chat.

Exit status: 0 when every invitation was delivered exactly once; 1 when one was not, one was
delivered twice, or the run passed --max-seconds (the reason is printed); 2 for bad arguments.
The rate and the timings never change the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer
from common import percentile, run_bounded  # bench/ is on sys.path when run
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from bot.audit.invitations import InvitationSender
from bot.audit.queue import DEFAULT_LIMITS, enqueue_message
from bot.briefings.flow import Briefing, CheckQuestion, flow_spec
from bot.channels.slack.identity import SlackDirectory
from bot.channels.slack.notifier import SlackNotifier
from bot.delivery.messages import Card, Option, Outbound
from bot.delivery.notifier import Delivery, RetryLater
from bot.delivery.pacing import Limit, Pacer
from bot.settings import PROJECT_ROOT
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import AuditCampaign, AuditMessage, AuditParticipant
from storage.scope import ONE_SCHOOL, school_sessions

if str(PROJECT_ROOT) not in sys.path:  # run as a script, only bench/ is on sys.path
    sys.path.insert(0, str(PROJECT_ROOT))
from tests.slack.world import FakeSlackApi

PACED_METHODS = ("users.lookupByEmail", "conversations.open", "chat.postMessage")
CAMPAIGN = 2000  # the campaign size the projection is printed for
TARGET_RATIO = 0.10  # achieved rate within 10% of the allowed one


@dataclass
class RateLimitedSlackApi(FakeSlackApi):
    """FakeSlackApi that accepts at most `limit` requests per method in any `window` seconds."""

    limit: int = 20
    window: float = 1.0
    accepted_at: dict[str, list[float]] = field(default_factory=dict)
    rejected: Counter[str] = field(default_factory=Counter)
    _recent: dict[str, deque[float]] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        now = time.perf_counter()
        recent = self._recent.setdefault(method, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) >= self.limit:
            self.rejected[method] += 1
            retry = max(1, math.ceil(recent[0] + self.window - now))  # whole seconds, as Slack
            body = {"ok": False, "error": "ratelimited"}
            return web.json_response(body, status=429, headers={"Retry-After": str(retry)})
        recent.append(now)
        self.accepted_at.setdefault(method, []).append(now)
        return await super().handle(request)


class TimedNotifier:
    """The real SlackNotifier, with each deliver call timed (and RetryLater counted)."""

    channel = "slack"

    def __init__(self, inner: SlackNotifier) -> None:
        self.inner = inner
        self.latencies_ms: list[float] = []
        self.retry_later: Counter[str] = Counter()

    async def deliver(self, delivery: Delivery) -> str | None:
        started = time.perf_counter()
        try:
            ref = await self.inner.deliver(delivery)
        except RetryLater as later:
            self.retry_later[later.reason] += 1
            raise
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        return ref


async def compose(row: AuditMessage) -> list[Outbound]:
    """An invitation as a card with one button (the real one is composed elsewhere)."""
    return [
        Card(
            card_id=f"audit-{row.id}",
            title="Annual online-safety self-audit",
            text="Please answer the staff self-audit: about ten yes/no questions.",
            actions=(Option("audit:start", "Start the self-audit", "primary"),),
        )
    ]


@dataclass
class Results:
    queued: int
    posts_per_dm: Counter[str]
    rows_sent: int
    api: RateLimitedSlackApi
    notifier: TimedNotifier
    wall_s: float


BRIEFING = Briefing(
    title="A new app: what to look out for",
    text="Pupils are using a new chat app that hides messages behind a calculator.",
    link="https://school.example/briefings/new-app.pdf",
    questions=(CheckQuestion("Who do you tell?", "The DSL", ("Nobody", "A friend")),),
)


async def seed(url: str, emails: list[str], kind: str = "audit") -> None:
    engine = create_engine(url)
    briefing = kind == "briefing"
    try:
        await upgrade(engine)
        now = datetime.now(UTC)
        async with school_sessions(engine, ONE_SCHOOL)() as session, session.begin():
            campaign = AuditCampaign(
                kind=kind,
                title=BRIEFING.title if briefing else "",
                academic_year="2026-27",
                flow_id="briefing" if briefing else "staff_audit",
                flow_spec=flow_spec(BRIEFING) if briefing else {"steps": []},
                started_at=now,
                started_by="bench",
                closes_at=now + timedelta(days=28),
            )
            session.add(campaign)
            await session.flush()
            for email in emails:
                participant = AuditParticipant(
                    campaign_id=campaign.id,
                    email=email,
                    display_name="Bench Staff",
                    channel="slack",
                    status="invited",
                    reminders_sent=0,
                    updated_at=now,
                )
                session.add(participant)
                await session.flush()
                await enqueue_message(session, participant=participant, kind="invite", n=0, now=now)
    finally:
        await engine.dispose()


async def bench(
    folder: Path, *, invitations: int, limit: int, window: float, tick: float, kind: str = "audit"
) -> Results:
    users = {f"U{n:07d}": (f"bench.staff{n}@example.org", f"Staff {n}") for n in range(invitations)}
    api = RateLimitedSlackApi(users=users, limit=limit, window=window)
    server = TestServer(api.app(), host="127.0.0.1")
    await server.start_server()
    url = f"sqlite+aiosqlite:///{(folder / 'bench.db').as_posix()}"
    await seed(url, [email for email, _ in users.values()], kind)
    engine = create_engine(url)
    sessions = school_sessions(engine, ONE_SCHOOL)
    client = AsyncWebClient(  # as bot/channels/slack/handler.py builds it
        token="xoxb-bench",  # noqa: S106 (a fake API on loopback)
        base_url=str(server.make_url("/api/")),
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    notifier = TimedNotifier(SlackNotifier(client, SlackDirectory(client, sessions)))
    sender = InvitationSender(
        sessions=sessions,
        notifiers={"slack": notifier},
        compose=compose if kind == "audit" else None,  # a briefing's: the sender's own card
        clock=lambda: datetime.now(UTC),
        limits={"slack": (Limit(limit, window),)},
    )
    try:
        started = time.perf_counter()
        while True:
            if tick:  # as the scheduler does: deliver_due every `tick` seconds, coalesced
                began = time.perf_counter()
                await sender.deliver_due()
                await asyncio.sleep(max(0.0, began + tick - time.perf_counter()))
            else:
                await sender.run_until_idle()
            async with sessions() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(AuditMessage)
                    .where(AuditMessage.status == "pending")
                )
            if not pending:
                break
            if not tick:
                await asyncio.sleep(0.2)  # rows waiting out a Retry-After: wait for them
        wall = time.perf_counter() - started
        async with sessions() as session:
            rows_sent = await session.scalar(
                select(func.count()).select_from(AuditMessage).where(AuditMessage.status == "sent")
            )
    finally:
        await engine.dispose()
        await server.close()
    posts = Counter(str(call.args["channel"]) for call in api.called("chat.postMessage"))
    return Results(invitations, posts, int(rows_sent or 0), api, notifier, wall)


def campaign_seconds(limits: tuple[Limit, ...], count: int) -> float:
    """How long `count` paced sends take under `limits`, from the first to the last start, on a
    simulated clock (the real Pacer; each send taking no time, so a lower bound)."""
    clock = [0.0]

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    pacer = Pacer(limits, now=lambda: clock[0], sleep=sleep)

    async def run() -> None:
        for _ in range(count):
            await pacer.wait("campaign")

    asyncio.run(run())
    return clock[0]


def duration(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.0f} s"


def report(args: argparse.Namespace, results: Results) -> int:
    api, notifier = results.api, results.notifier
    delivered = len(results.posts_per_dm)
    duplicates = sum(n - 1 for n in results.posts_per_dm.values() if n > 1)
    opens = sorted(api.accepted_at.get("conversations.open", []))
    allowed = args.limit / args.window
    print(
        f"{args.kind} invitation pacing: InvitationSender -> SlackNotifier (slack-sdk) -> "
        "fake Slack Web API on loopback"
    )
    how = f"deliver_due every {args.tick:g} s" if args.tick else "run_until_idle"
    print(
        f"fake API: at most {args.limit} requests per method in any {args.window:g} s "
        f"(sliding window), else 429 + Retry-After | sender's Slack pacer: "
        f"Limit({args.limit}, {args.window:g}) | {how} | SQLite in a temporary folder"
    )
    print(
        f"invitations: {results.queued} queued, {delivered} delivered, duplicates {duplicates}, "
        f"rows marked sent {results.rows_sent}, in {results.wall_s:.2f} s"
    )
    per_method = ", ".join(f"{m} {api.rejected[m]}" for m in PACED_METHODS)
    print(f"429s answered by the fake: {sum(api.rejected.values())} ({per_method})")
    if notifier.retry_later:
        print(f"RetryLater seen by the sender: {dict(notifier.retry_later)}")
    if len(opens) > args.limit:
        span = opens[-1] - opens[0]
        # The pacer lets a whole window's worth go at once, so the rate is counted over the
        # sends after the first window: (n - C) / (last - first). Exactly C/W when every later
        # send goes the moment the window allows it.
        achieved = (len(opens) - args.limit) / span
        ratio = achieved / allowed
        ideal = (math.ceil(len(opens) / args.limit) - 1) * args.window
        verdict = "MET" if abs(1 - ratio) <= TARGET_RATIO else "NOT MET"
        print(
            f"conversations.open accepted: first to last {span:.2f} s for {len(opens)} "
            f"(the fastest the limit allows: {ideal:.2f} s)"
        )
        print(
            f"achieved rate: {achieved:.2f}/s against {allowed:.2f}/s allowed -> ratio "
            f"{ratio:.3f} (target within {TARGET_RATIO:.0%}: {verdict})"
        )
    else:
        print("achieved rate: not measured (no more invitations than one window allows)")
    ms = notifier.latencies_ms
    if ms:
        cells = "  ".join(f"p{p} {percentile(ms, p):7.2f}" for p in (50, 90, 99))
        print(
            "per invitation, notifier.deliver (lookupByEmail + conversations.open + "
            f"chat.postMessage), ms: {cells}  max {max(ms):7.2f}"
        )
    print(f"a {CAMPAIGN:,}-person campaign at the default limits (the real Pacer, simulated):")
    for channel, limits in DEFAULT_LIMITS.items():
        seconds = campaign_seconds(limits, CAMPAIGN)
        shown = ", ".join(f"Limit({lim.count}, {lim.seconds:g} s)" for lim in limits)
        rate = min(lim.count / lim.seconds for lim in limits)
        print(
            f"  {channel:<5} {shown:<20} last invitation starts after {duration(seconds):>8} "
            f"({CAMPAIGN:,} / {rate * 60:g} per min = {duration(CAMPAIGN / rate)})"
        )
    if delivered != results.queued or duplicates or results.rows_sent != results.queued:
        print(
            f"FAILED: {results.queued} queued, {delivered} delivered, {duplicates} duplicates, "
            f"{results.rows_sent} marked sent",
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invitations", type=int, default=300, help="default 300")
    parser.add_argument(
        "--limit", type=int, default=20, help="requests per method per window (default 20)"
    )
    parser.add_argument("--window", type=float, default=1.0, help="seconds (default 1)")
    parser.add_argument(
        "--tick",
        type=float,
        default=0.0,
        help="call deliver_due every TICK seconds, as the scheduler does (default: run_until_idle)",
    )
    parser.add_argument("--max-seconds", type=float, default=300.0, help="default 300")
    parser.add_argument(
        "--kind",
        choices=("audit", "briefing"),
        default="audit",
        help="the campaign: the self-audit (default) or a staff briefing",
    )
    args = parser.parse_args(argv)
    if args.invitations < 1 or args.limit < 1 or args.window <= 0 or args.max_seconds <= 0:
        parser.error("--invitations and --limit at least 1; --window and --max-seconds > 0")
    if args.tick < 0:
        parser.error("--tick must not be negative")

    async def run(folder: Path) -> Results:
        return await bench(
            folder,
            invitations=args.invitations,
            limit=args.limit,
            window=args.window,
            tick=args.tick,
            kind=args.kind,
        )

    results = run_bounded(run, prefix="audit-pacing-", max_seconds=args.max_seconds)
    if results is None:
        return 1
    return report(args, results)


if __name__ == "__main__":
    sys.exit(main())
