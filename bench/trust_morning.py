"""The 1 September morning of a trust on one deployment (issue 22), in one process: S schools
(TRUST_CONFIG, each school its own generated file and staff), every school's self-audit started
at the same moment (each school's campaign queued and its invitations sent to whoever has the
chat open), A members of staff answering it at once, and R reporters filing concerns across the
schools meanwhile, each school's DSL with the chat open for the alerts.

Timed, over the real web chat (the loopback websocket, the demo sign-in):
- a reporter's turn, sending a frame to its reply (budget p99 < 100 ms);
- an alert: from the reporter's Send to the push reaching the school's DSL (budget p99 < 50 ms);
- an audit answerer's turn (no budget of its own: the load the reporters meet);
and the process's resident memory after building every school's part and at the end
(budget < 250 MB). Checked: every report is in its reporter's school's records only, every
alert reached its own school's DSL and no other school's, every answerer's answers were stored
in their school's campaign; any failure is an error, and the run's errors must be zero.

Left out, said in bench/README.md: the 200,000 stored reports (bench/scale.py measures a seeded
store), two web replicas and a scheduler as processes, and the platforms' invitation rates (a
trust's deployment serves the web chat only, which has none).

    .venv/bin/python bench/trust_morning.py [--schools 50] [--staff 5000] [--answerers 500]
        [--reporters 20] [--flows 2] [--database-url URL --reset-schema]

Exit status: 0 when every check held, 1 when one did not (said), 2 for bad arguments. Timings
never change the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import resource
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from common import BenchFailure, percentile, reset_schema  # bench/ is on sys.path when run
from sqlalchemy import func, select
from turn_latency import (
    REFERENCE,
    SCRIPT,
    ChatClient,
    Step,
    _asked,
    _decode,
    _reference_in,
    bench_settings,
    serving,
)

from bot.app import Bot, build_bot
from bot.audit.scheduled import SEND_EVERY_SECONDS, AuditJobs, send_invitations, start_audit
from bot.delivery.school_tags import tag_value, untag_value
from bot.settings import PROJECT_ROOT
from scheduler.setup import TRUST_START_SPREAD_SECONDS
from storage.models import AuditParticipant, Report

EXAMPLE = PROJECT_ROOT / "config" / "school.example.yaml"
TURN_BUDGET_MS = 100.0
ALERT_BUDGET_MS = 50.0
RSS_BUDGET_MB = 250.0
# The first seconds of the morning (with --spread 0, when every school's campaign is made).
BURST_S = 15.0
# How long an answerer waits for their invitation once their school has started (beyond the
# spread of the starts): sending is held while any alert is due.
INVITATION_WAIT_S = 180.0


def rss_mb() -> float:
    """The process's resident memory now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class School:
    key: str
    dsl: str
    staff: list[str]


def write_trust(folder: Path, schools: int, staff: int) -> tuple[Path, list[School]]:
    """The example school `schools` times, each with its own addresses (`@<key>.example.org`)
    and its share of `staff` generated members of staff; the trust file listing them."""
    example = EXAMPLE.read_text(encoding="utf-8")
    made: list[School] = []
    entries = []
    for n in range(schools):
        key = f"school-{n + 1:02d}"
        text = example.replace("@example.org", f"@{key}.example.org").replace(
            "name: Example Primary School", f"name: School {n + 1:02d}"
        )
        document: dict[str, Any] = yaml.safe_load(text)
        share = staff // schools + (1 if n < staff % schools else 0)
        extra = [f"staff{i:04d}@{key}.example.org" for i in range(share)]
        document["people"] += [
            {"email": email, "name": f"Member of staff {i}", "roles": ["staff"]}
            for i, email in enumerate(extra)
        ]
        (folder / f"{key}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        entries.append({"key": key, "file": f"{key}.yaml", "pupils": 300})
        made.append(School(key, f"a.hartley@{key}.example.org", extra))
    trust = folder / "trust.yaml"
    trust.write_text(yaml.safe_dump({"name": "Bench Trust", "schools": entries}, sort_keys=False))
    return trust, made


class TrustClient(ChatClient):
    """A tab on a trust's deployment: every button it presses says the school, as the
    buttons the school sent do."""

    def __init__(self, base_url: str, email: str, run_id: str, key: str) -> None:
        super().__init__(base_url, email, run_id)
        self.key = key

    async def turn(self, step: Step) -> tuple[float, dict[str, Any]]:
        if step.kind == "action":
            step = Step(
                step.answers, step.kind, tag_value(self.key, str(step.payload)), step.expect
            )
        elif step.kind == "multi":
            tagged = tuple(tag_value(self.key, v) for v in step.payload)
            step = Step(step.answers, step.kind, tagged, step.expect)
        return await super().turn(step)


@dataclass
class Figures:
    reporter_ms: list[float] = field(default_factory=list)
    reporter_at: list[float] = field(default_factory=list)  # each turn's start, perf_counter
    started: float = 0.0  # the morning's start (the schedulers' start of the self-audit)
    answerer_ms: list[float] = field(default_factory=list)
    alert_ms: list[float] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)  # reference -> school key
    answered: dict[str, int] = field(default_factory=dict)  # school key -> answerers done
    errors: list[str] = field(default_factory=list)
    rss_built_mb: float = 0.0
    build_s: float = 0.0
    rss_tabs_mb: float = 0.0  # every simulated tab open (their clients live in this process)
    rss_end_mb: float = 0.0
    wall_s: float = 0.0


class DslTab:
    """A school DSL's open chat: every pushed alert's reference, with when it came."""

    def __init__(self, client: TrustClient) -> None:
        self.client = client
        self.seen: dict[str, float] = {}
        self.task: asyncio.Task[None] | None = None
        self.arrived = asyncio.Event()  # set at each push with a reference

    async def listen(self) -> None:
        while True:
            assert self.client._ws is not None
            frame = _decode(await self.client._ws.receive(), self.client.email)  # no time limit
            now = time.perf_counter()
            if frame.get("type") == "messages" and frame.get("reply_to") is None:
                for found in REFERENCE.findall(json.dumps(frame)):
                    self.seen.setdefault(found, now)
                self.arrived.set()

    async def until_seen(self, reference: str, deadline: float) -> bool:
        while reference not in self.seen:
            self.arrived.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), remaining)
        return True


async def reporter(
    client: TrustClient, flows: int, figures: Figures, sent: dict[str, float], think: float
) -> None:
    for _ in range(flows):
        for step in SCRIPT:
            await _think(think)
            if step is SCRIPT[-1]:
                submit_at = time.perf_counter()
            figures.reporter_at.append(time.perf_counter())
            elapsed, _reply = await client.turn(step)
            figures.reporter_ms.append(elapsed)
        confirmed = await client.confirmation()
        reference = _reference_in(confirmed)
        if reference is None:
            figures.errors.append(f"{client.email}: no reference after Send")
            continue
        figures.references[reference] = client.key
        sent[reference] = submit_at


async def _think(seconds: float) -> None:
    """A person reading and answering: `seconds` on average, spread so that people do not
    answer in lockstep (0: no pause at all, the worst case)."""
    if seconds:
        await asyncio.sleep(random.uniform(0.5 * seconds, 1.5 * seconds))


async def answerer(client: TrustClient, figures: Figures, think: float, wait: float) -> None:
    """Wait for the invitation, press its Start, answer yes and skip to the end, send."""
    start = await asyncio.wait_for(_pushed_with(client, "audit:start:"), wait)
    elapsed, frame = await client.turn(Step("invitation", "action", start, ""))
    figures.answerer_ms.append(elapsed)
    for _ in range(40):
        asked, question = _asked(frame), _newest(frame)
        if question is None:
            raise BenchFailure(f"{client.email}: the audit asks nothing: {json.dumps(frame)[:300]}")
        if asked == "summary":
            step = Step("summary", "action", _option(question, "__submit"), "")
        elif question.get("input") == "yes_no":
            step = Step(str(asked), "action", _option(question, "yes"), "")
        else:
            step = Step(str(asked), "text", "skip", "")
        await _think(think)
        elapsed, frame = await client.turn(step)
        figures.answerer_ms.append(elapsed)
        if asked == "summary":
            figures.answered[client.key] = figures.answered.get(client.key, 0) + 1
            return
    raise BenchFailure(f"{client.email}: the audit did not end")


async def _scheduler(jobs: AuditJobs, *, after: float) -> None:
    """A school's audit jobs as its scheduler runs them: the start (which sends at once what
    it can), `after` seconds into the morning, then the sending job every SEND_EVERY_SECONDS
    (held while an alert is due)."""
    await asyncio.sleep(after)
    await start_audit(jobs)
    while True:
        await asyncio.sleep(SEND_EVERY_SECONDS)
        await send_invitations(jobs)


def _newest(frame: dict[str, Any]) -> dict[str, Any] | None:
    shown = [i for i in frame.get("items") or [] if i.get("kind") in {"question", "summary"}]
    return shown[-1] if shown else None


def _option(question: dict[str, Any] | None, value: str) -> str:
    for option in (question or {}).get("options") or []:
        tagged = untag_value(option["value"])
        if tagged is not None and tagged[1] == value:
            return tagged[1]  # TrustClient tags it again
    raise BenchFailure(f"no button {value!r} in {json.dumps(question)[:300]}")


async def _pushed_with(client: TrustClient, prefix: str) -> str:
    while True:
        for frame in client.pushed:
            for item in frame.get("items") or []:
                for option in item.get("actions") or []:
                    tagged = untag_value(option["value"])
                    if tagged is not None and tagged[1].startswith(prefix):
                        client.pushed.clear()
                        return tagged[1]
        assert client._ws is not None
        frame = _decode(await client._ws.receive(), client.email)  # waited for by the caller
        if frame.get("type") == "messages" and frame.get("reply_to") is None:
            client.pushed.append(frame)


async def run(args: argparse.Namespace, folder: Path) -> Figures:
    if args.database_url and args.reset_schema:
        await reset_schema(args.database_url)
    trust_file, schools = write_trust(folder, args.schools, args.staff)
    settings = bench_settings(folder, args.database_url, EXAMPLE).model_copy(
        update={"trust_config": trust_file}
    )
    figures = Figures()
    building = time.perf_counter()
    bot = build_bot(settings)
    figures.build_s = time.perf_counter() - building
    figures.rss_built_mb = rss_mb()
    run_id = uuid.uuid4().hex[:8]
    async with serving(bot) as base_url:
        by_key = {s.key: s for s in schools}
        reporting = [schools[i % len(schools)] for i in range(args.reporters)]
        dsl_tabs = {s.key: DslTab(TrustClient(base_url, s.dsl, run_id, s.key)) for s in reporting}
        reporters = [
            TrustClient(base_url, s.staff[0 if i < len(schools) else 1], run_id, s.key)
            for i, s in enumerate(reporting)
        ]
        answering = [schools[i % len(schools)] for i in range(args.answerers)]
        answerers = [
            TrustClient(base_url, s.staff[-1 - i // len(schools)], run_id, s.key)
            for i, s in enumerate(answering)
        ]
        clients = [*(t.client for t in dsl_tabs.values()), *reporters, *answerers]
        try:
            for client in clients:
                await client.open()
            figures.rss_tabs_mb = rss_mb()
            for tab in dsl_tabs.values():
                tab.task = asyncio.create_task(tab.listen())
            sent: dict[str, float] = {}
            started = figures.started = time.perf_counter()
            # Every school's scheduler: the audit's start at 08:00, then its sending job.
            ticking = [
                asyncio.create_task(_scheduler(part.audit, after=random.uniform(0, args.spread)))
                for part in bot.parts.values()
            ]
            work = [
                *(reporter(c, args.flows, figures, sent, args.think) for c in reporters),
                *(
                    answerer(c, figures, args.think, args.spread + INVITATION_WAIT_S)
                    for c in answerers
                ),
            ]
            outcomes = await asyncio.gather(*work, return_exceptions=True)
            figures.errors += [repr(o) for o in outcomes if isinstance(o, BaseException)]
            for task in ticking:
                task.cancel()
            for task in ticking:
                if not task.cancelled() and task.done() and task.exception() is not None:
                    figures.errors.append(f"a school's scheduler failed: {task.exception()!r}")
            await _alerts_arrived(dsl_tabs, figures, sent)
            figures.wall_s = time.perf_counter() - started
        finally:
            for tab in dsl_tabs.values():
                if tab.task is not None:
                    tab.task.cancel()
            for client in clients:
                await client.close()
        await _check_isolation(bot, figures, dsl_tabs, by_key)
    figures.rss_end_mb = rss_mb()
    return figures


async def _alerts_arrived(
    tabs: dict[str, DslTab], figures: Figures, sent: dict[str, float], within: float = 30.0
) -> None:
    deadline = time.perf_counter() + within
    for reference, key in figures.references.items():
        tab = tabs[key]
        if not await tab.until_seen(reference, deadline):
            figures.errors.append(f"{reference}: no alert reached {key}'s DSL")
            continue
        figures.alert_ms.append((tab.seen[reference] - sent[reference]) * 1000)


async def _check_isolation(
    bot: Bot, figures: Figures, tabs: dict[str, DslTab], by_key: dict[str, School]
) -> None:
    for reference, key in figures.references.items():
        for other, tab in tabs.items():
            if other != key and reference in tab.seen:
                figures.errors.append(f"LEAK: {reference} of {key} reached {other}'s DSL")
        for other, part in bot.parts.items():
            async with part.sessions() as session:
                found = await session.scalar(
                    select(func.count()).select_from(Report).where(Report.reference == reference)
                )
            if bool(found) != (other == key):
                figures.errors.append(f"LEAK: {reference} of {key} in {other}'s records: {found}")
    for key, done in figures.answered.items():
        async with bot.parts[key].sessions() as session:
            stored = await session.scalar(
                select(func.count())
                .select_from(AuditParticipant)
                .where(AuditParticipant.status == "finished")
            )
        if stored != done:
            figures.errors.append(f"{key}: {done} answered the audit, {stored} stored as finished")


def report(args: argparse.Namespace, figures: Figures) -> None:
    database = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    print(
        f"trust morning: {args.schools} schools, {args.staff} staff, {args.answerers} answering "
        f"the self-audit, {args.reporters} reporters x {args.flows} concerns, think "
        f"{args.think:g} s, starts spread over {args.spread:g} s, {database}, "
        f"{figures.wall_s:.1f} s"
    )

    def line(name: str, values: list[float], budget: float | None, unit: str = "ms") -> None:
        if not values:
            print(f"  {name:<28} none")
            return
        p50, p99 = percentile(values, 50), percentile(values, 99)
        verdict = "" if budget is None else (" met" if p99 < budget else " NOT met")
        target = "" if budget is None else f" (budget p99 < {budget:g} {unit}){verdict}"
        print(f"  {name:<28} n={len(values):<6} p50 {p50:7.1f}  p99 {p99:7.1f} {unit}{target}")

    line("reporter turn", figures.reporter_ms, TURN_BUDGET_MS)
    pairs = list(zip(figures.reporter_at, figures.reporter_ms, strict=True))
    burst = [ms for at, ms in pairs if at - figures.started < BURST_S]
    line(f"  in the first {BURST_S:g} s", burst, TURN_BUDGET_MS)
    line("  after", [ms for at, ms in pairs if at - figures.started >= BURST_S], TURN_BUDGET_MS)
    line("alert to the school's DSL", figures.alert_ms, ALERT_BUDGET_MS)
    line("self-audit answerer turn", figures.answerer_ms, None)
    print(f"  {'every school built in':<28} {figures.build_s:7.1f} s")
    print(
        f"  {'RSS, every tab open':<28} {figures.rss_tabs_mb:7.1f} MB (the simulated tabs' "
        "clients are in this process too: the bot's own is the figure above)"
    )
    for name, value in (
        ("RSS, every school built", figures.rss_built_mb),
        ("RSS at the end", figures.rss_end_mb),
    ):
        verdict = "met" if value < RSS_BUDGET_MB else "NOT met"
        print(f"  {name:<28} {value:7.1f} MB (budget < {RSS_BUDGET_MB:g} MB) {verdict}")
    print(f"  self-audits answered         {sum(figures.answered.values())} of {args.answerers}")
    print(f"  errors (incl. leaks)         {len(figures.errors)}")
    for error in figures.errors[:20]:
        print(f"    {error}")


def the_people(parser: argparse.ArgumentParser) -> None:
    """The morning's people, as every way of running it takes them."""
    parser.add_argument("--schools", type=int, default=50)
    parser.add_argument("--staff", type=int, default=5000)
    parser.add_argument("--answerers", type=int, default=500)
    parser.add_argument("--reporters", type=int, default=20)
    parser.add_argument("--flows", type=int, default=2, help="concerns each reporter files")


def check_people(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.schools < 1 or args.staff < 2 * args.schools or args.reporters < 1:
        parser.error("at least one school, two staff a school, one reporter")
    if args.answerers > args.staff - 2 * args.schools:
        parser.error("--answerers: more than the staff left once the reporters are counted")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    the_people(parser)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds each person takes over an answer, on average (0: none, in lockstep)",
    )
    parser.add_argument(
        "--spread",
        type=float,
        default=TRUST_START_SPREAD_SECONDS,
        help="each school starts its self-audit at a random moment within this many seconds, as "
        "a trust's scheduler does (0: every school at once)",
    )
    parser.add_argument("--database-url", default="", help="PostgreSQL (default: SQLite)")
    parser.add_argument("--reset-schema", action="store_true")
    args = parser.parse_args(argv)
    check_people(parser, args)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary:
        figures = asyncio.run(run(args, Path(temporary)))
    report(args, figures)
    return 1 if figures.errors else 0


if __name__ == "__main__":
    sys.exit(main())
