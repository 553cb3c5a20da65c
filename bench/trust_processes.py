"""The 1 September morning of a trust on one deployment, run as production runs it (issue 22):
two web replicas and a scheduler (`python -m bot run --role web|scheduler`, TRUST_CONFIG) on one
PostgreSQL database, serving S schools on one Microsoft Teams registration.

Microsoft Teams is a fake Bot Connector on loopback in this process (tests/teams/connector.py:
the Bot Framework REST API Teams' service URL serves, recording every activity the bot sends,
with its arrival time), and the bot takes activities anonymously (TEAMS_ALLOW_ANONYMOUS, which
the bot allows on loopback only). A load balancer without sticky sessions is stood in for by
sending each activity to the next web replica in turn.

Before the morning: the trust's files (bench/trust_morning.py's: S schools, their staff), the
store seeded with --reports reports over ten years (bench/trust_seed.py; 0: an empty store) or
copied from a kept one (--seeded-copy, bench/trust_seeded.py), then vacuumed, analysed and
checkpointed (PostgreSQL's work on new rows is not the morning's), the processes started, and
every person of every school with the app installed (an install activity each: how the bot
learns where to message them first). Then each school's self-audit starts at the next whole
minute (its `start_cron`), each at a moment of its own within the scheduler's spread, and the
scheduler invites every member of staff through Teams; A of them answer it as their invitation
comes, and R reporters file concerns across the schools meanwhile.

Measured:
- a reporter's turn: the activity posted to its reply in the chat (Teams replies within the
  request: the HTTP answer) (budget p99 < 100 ms);
- an alert: from the reporter's Send to the card reaching the school's DSL at the Bot Connector
  (budget p99 < 50 ms);
- the invitations' rate, from the first to the last, against Teams' allowed rate as the bot
  documents it (bot/audit/queue.py DEFAULT_LIMITS: 25 a second, half the tenant's 50) (budget:
  at least 95%);
- each process's resident memory, its highest while the morning ran (budget < 250 MB);
- errors, and leaks: a report in another school's records, an alert at another school's DSL.

    .venv/bin/python bench/trust_processes.py --database-url URL [--schools 50] [--staff 5000]
        [--answerers 500] [--reporters 20] [--flows 2] [--think 3] [--reports 200000]

Exit status: 0 when every check held, 1 when one did not (said), 2 for bad arguments. Timings
never change the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import yaml
from aiohttp.test_utils import TestServer
from common import BenchFailure, percentile, reset_schema  # bench/ is on sys.path when run
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from trust_morning import (
    ALERT_BUDGET_MS,
    RSS_BUDGET_MB,
    TURN_BUDGET_MS,
    School,
    check_people,
    the_people,
    write_trust,
)
from trust_seeded import Seeded, Shape, check_name, copied, keep, settle

from bot.audit.queue import DEFAULT_LIMITS
from bot.channels.teams.parse import CLICK_KEY
from bot.delivery.school_tags import tag_value, untag_value
from bot.settings import PROJECT_ROOT
from scheduler.setup import TRUST_START_SPREAD_SECONDS
from storage.models import AuditCampaign, AuditParticipant, Report
from storage.scope import trust_sessions

if str(PROJECT_ROOT) not in sys.path:  # run as a script, only bench/ is on sys.path
    sys.path.insert(0, str(PROJECT_ROOT))
from tests.support.multiprocess import Process, stop
from tests.support.net import free_port
from tests.support.walk import cyberbullying_concern, step_of_token, walk
from tests.teams.connector import TENANT, FakeBotConnector, Member, Sent, text_of
from tests.teams.world import BOT, _all_submit_data, _choice_set, _submit_data, _value_of

INVITATION_RATE_BUDGET = 0.95  # of the platform's allowed rate
TEAMS_RATE = DEFAULT_LIMITS["teams"][0].count / DEFAULT_LIMITS["teams"][0].seconds
# A report's reference: its id has five digits or more (a store of 200,000 reports has six).
REFERENCE = re.compile(r"\bOS-\d{4}-\d{5,}\b")
# Any moment of the morning: the concern happened yesterday (today's 09:00 may be to come).
CONCERN = cyberbullying_concern("Name-calling in the class group chat.", "yesterday 15:00")
TZ = ZoneInfo("Europe/London")  # the example school's


@dataclass
class Connector(FakeBotConnector):
    """The fake Bot Connector, telling whoever waits on a chat that something arrived there."""

    arrived: dict[str, asyncio.Event] = field(default_factory=dict)

    def _keep(self, sent: Sent) -> None:
        super()._keep(sent)
        self.arrived.setdefault(sent.conversation_id, asyncio.Event()).set()

    async def next_in(self, conversation_id: str, seen: int, within: float) -> None:
        """Wait until the chat has more than `seen` activities."""
        event = self.arrived.setdefault(conversation_id, asyncio.Event())
        deadline = time.monotonic() + within
        while len(self.to(conversation_id)) <= seen:
            event.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BenchFailure(f"nothing more reached {conversation_id} in {within:g} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)


def rss_mb(process: Process) -> float | None:
    """The process's resident memory now (Linux), in MB; None once it has stopped."""
    if process.popen is None or process.popen.poll() is not None:
        return None
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{process.popen.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


@dataclass
class Person:
    """Someone in Teams: their ids, their personal chat with the bot, and what they see in it."""

    email: str
    name: str
    school: str
    n: int

    @property
    def user_id(self) -> str:
        return f"29:1bench{self.n:05d}"

    @property
    def conversation(self) -> str:
        return f"a:1bench{self.n:05d}-personal-chat"

    @property
    def aad(self) -> str:
        return f"aad-{self.n:05d}"

    def member(self) -> Member:
        return Member(self.user_id, self.name, self.email, self.aad)


@dataclass
class Teams:
    """Sends the replicas what Teams would, each activity to the next replica in turn."""

    connector: Connector
    service_url: str
    web: list[Process]
    session: aiohttp.ClientSession
    errors: list[str]
    _next: Iterator[Process] = field(init=False)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._next = itertools.cycle(self.web)

    def activity(self, person: Person, **fields: Any) -> dict[str, Any]:
        return {
            "id": f"f:{next(self._ids)}-{uuid.uuid4().hex[:8]}",
            "timestamp": "2026-09-01T08:00:00.000Z",
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": {"id": person.user_id, "name": person.name, "aadObjectId": person.aad},
            "conversation": {
                "conversationType": "personal",
                "tenantId": TENANT,
                "id": person.conversation,
            },
            "recipient": dict(BOT),
            "locale": "en-GB",
            "channelData": {"tenant": {"id": TENANT}},
            **fields,
        }

    async def post(self, activity: dict[str, Any]) -> float:
        """Post `activity` to the next replica; the milliseconds until it answered."""
        process = next(self._next)
        started = time.perf_counter()
        async with self.session.post(process.url + "/api/messages", json=activity) as response:
            await response.read()
            status = response.status
        elapsed = (time.perf_counter() - started) * 1000
        if status not in (200, 201, 202):
            raise BenchFailure(f"{process.name} answered {status} to an activity")
        return elapsed

    async def install(self, person: Person) -> None:
        await self.post(self.activity(person, type="conversationUpdate", membersAdded=[BOT]))

    async def say(self, person: Person, text: str) -> float:
        return await self.post(self.activity(person, type="message", text=text, textFormat="plain"))

    async def submit(self, person: Person, sent: Sent, data: dict[str, Any]) -> float:
        activity = self.activity(person, type="message", value=data, replyToId=sent.activity_id)
        return await self.post(activity)

    def posted(self, person: Person) -> list[Sent]:
        """What the person's chat shows now: each activity posted, as last updated."""
        return [
            Sent(s.method, s.conversation_id, s.activity_id, self.connector.now(s), None, at=s.at)
            for s in self.connector.to(person.conversation)
            if s.method == "POST"
        ]


class Tab:
    """The walker's view of a person's chat with their school (tests/support/walk.py): the step
    asked is read from the newest card's click token, and an answer presses the button the
    school sent for it (its value tagged with the school), ticks its boxes, or is typed. Each
    answer is timed into `times`."""

    def __init__(self, teams: Teams, person: Person, times: list[float]) -> None:
        self.teams, self.person, self.times = teams, person, times

    def question(self) -> tuple[Sent, str] | None:
        for sent in reversed(self.teams.posted(self.person)):
            tokens = [str(d[CLICK_KEY]) for d in _all_submit_data(sent.body) if d.get(CLICK_KEY)]
            if tokens:
                return sent, tokens[-1]
        return None

    async def asked(self) -> str | None:
        found = self.question()
        return None if found is None else step_of_token(found[1])

    def values(self, sent: Sent) -> set[str]:
        found = set()
        for data in _all_submit_data(sent.body):
            value = _value_of(data)
            tagged = untag_value(value) if value else None
            if tagged is not None and tagged[0] == self.person.school:
                found.add(tagged[1])
        return found

    async def answer(self, value: Any) -> None:
        found = self.question()
        if found is None:
            raise BenchFailure(f"{self.person.email}: no question in the chat")
        sent = found[0]
        seen = len(self.teams.connector.to(self.person.conversation))
        if isinstance(value, tuple):
            choice = _choice_set(sent.body)
            assert choice is not None
            data = _submit_data(sent.body, lambda d: _value_of(d) is None)
            ticked = ",".join(tag_value(self.person.school, v) for v in value)
            elapsed = await self.teams.submit(self.person, sent, {**data, choice["id"]: ticked})
        elif value in self.values(sent):
            elapsed = await self.press(sent, value)
        else:
            elapsed = await self.teams.say(self.person, value)
        self.times.append(elapsed)
        await self.teams.connector.next_in(self.person.conversation, seen, 30.0)

    async def press(self, sent: Sent, value: str) -> float:
        tagged = tag_value(self.person.school, value)
        data = _submit_data(sent.body, lambda d: _value_of(d) == tagged)
        return await self.teams.submit(self.person, sent, data)


@dataclass
class Figures:
    reporter_ms: list[float] = field(default_factory=list)
    answerer_ms: list[float] = field(default_factory=list)
    alert_ms: list[float] = field(default_factory=list)
    invitations: list[float] = field(default_factory=list)  # each one's arrival, perf_counter
    references: dict[str, str] = field(default_factory=dict)  # reference -> school key
    answered: dict[str, int] = field(default_factory=dict)  # school key -> answerers done
    errors: list[str] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    rss_mb: dict[str, float] = field(default_factory=dict)  # by process, the highest seen
    installed_s: float = 0.0
    seeded_s: float = 0.0
    seeded: int = 0
    seeded_from: str = ""  # the kept store copied, if the run did not seed
    schools: int = 0
    wall_s: float = 0.0


def people_of(folder: Path, schools: list[School]) -> list[Person]:
    """Everyone in every school's file, numbered (their Teams ids)."""
    found: list[Person] = []
    for school in schools:
        document = yaml.safe_load((folder / f"{school.key}.yaml").read_text())
        for entry in document["people"]:
            found.append(Person(entry["email"], entry["name"], school.key, len(found) + 1))
    return found


def starting_in_a_minute(
    folder: Path, schools: list[School], lead: float, *, now: bool = False
) -> datetime:
    """Every school's self-audit starts at the first whole minute at least `lead` seconds
    away (its start_cron, school time); that moment. `now`: the minute just gone, which the
    scheduler takes for a start it missed, and makes at once for every school (no spread)."""
    at = (datetime.now(TZ) + timedelta(seconds=lead + 60)).replace(second=0, microsecond=0)
    if now:
        at = datetime.now(TZ).replace(second=0, microsecond=0)
    cron = f"{at.minute} {at.hour} {at.day} {at.month} *"
    for school in schools:
        path = folder / f"{school.key}.yaml"
        document = yaml.safe_load(path.read_text())
        document["audit"]["start_cron"] = cron
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    return at


async def reporter(teams: Teams, person: Person, dsl: Person, args: Any, figures: Figures) -> None:
    tab = Tab(teams, person, figures.reporter_ms)
    for _ in range(args.flows):
        seen = len(teams.connector.to(person.conversation))
        figures.reporter_ms.append(await teams.say(person, "report"))
        await teams.connector.next_in(person.conversation, seen, 30.0)
        await walk(_Thinking(tab, args.think), CONCERN)
        found = tab.question()
        assert found is not None
        await _think(args.think)
        submit_at = time.perf_counter()
        figures.reporter_ms.append(await tab.press(found[0], "__submit"))
        reference = await _reference_for(teams, person, submit_at)
        figures.references[reference] = person.school
        figures.alert_ms.append(await _alerted(teams, dsl, reference, submit_at))


class _Thinking:
    """A tab whose person takes `think` seconds (on average) over each answer."""

    def __init__(self, tab: Tab, think: float) -> None:
        self.tab, self.think = tab, think

    async def asked(self) -> str | None:
        return await self.tab.asked()

    async def answer(self, value: Any) -> None:
        await _think(self.think)
        await self.tab.answer(value)


async def _think(seconds: float) -> None:
    if seconds:
        await asyncio.sleep(random.uniform(0.5 * seconds, 1.5 * seconds))


async def _reference_for(teams: Teams, person: Person, since: float) -> str:
    """The reference the reporter is told (the receipt comes through the outbox)."""
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        for sent in teams.posted(person):
            if sent.at >= since and (found := REFERENCE.search(text_of(sent.body))):
                return found.group()
        seen = len(teams.connector.to(person.conversation))
        with contextlib.suppress(BenchFailure):
            await teams.connector.next_in(person.conversation, seen, 1.0)
    raise BenchFailure(f"{person.email}: no reference after Send")


def names(text: str, reference: str) -> bool:
    """Whether `text` gives `reference` itself (OS-2026-20082 is not in OS-2026-200821)."""
    return reference in REFERENCE.findall(text)


async def _alerted(teams: Teams, dsl: Person, reference: str, since: float) -> float:
    """Milliseconds from Send to the alert naming `reference` reaching the DSL's chat."""
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline:
        for sent in teams.connector.to(dsl.conversation):
            if names(text_of(sent.body), reference):
                return (sent.at - since) * 1000
        seen = len(teams.connector.to(dsl.conversation))
        with contextlib.suppress(BenchFailure):
            await teams.connector.next_in(dsl.conversation, seen, 1.0)
    raise BenchFailure(f"{reference}: no alert reached {dsl.email}")


async def answerer(
    teams: Teams, person: Person, figures: Figures, think: float, wait: float
) -> None:
    """Wait for the invitation, press its Start, answer yes and skip to the end, send."""
    tab = Tab(teams, person, figures.answerer_ms)
    deadline = time.monotonic() + wait
    start = None
    while start is None:
        for sent in teams.posted(person):
            if any(v.startswith("audit:start:") for v in tab.values(sent)):
                start = sent
        if start is None:
            seen = len(teams.connector.to(person.conversation))
            await teams.connector.next_in(person.conversation, seen, deadline - time.monotonic())
    value = next(v for v in tab.values(start) if v.startswith("audit:start:"))
    seen = len(teams.connector.to(person.conversation))
    figures.answerer_ms.append(await tab.press(start, value))
    await teams.connector.next_in(person.conversation, seen, 30.0)
    for _ in range(60):
        found = tab.question()
        if found is None:
            raise BenchFailure(f"{person.email}: the audit asks nothing")
        offered = tab.values(found[0])
        await _think(think)
        if "__submit" in offered:
            figures.answerer_ms.append(await tab.press(found[0], "__submit"))
            figures.answered[person.school] = figures.answered.get(person.school, 0) + 1
            return
        await tab.answer("yes" if "yes" in offered else "skip")
    raise BenchFailure(f"{person.email}: the audit did not end")


@contextlib.asynccontextmanager
async def processes(
    folder: Path, env: dict[str, str], *roles: tuple[str, str]
) -> AsyncIterator[list[Process]]:
    """`python -m bot run --role R` for each (name, role), started together, once ready."""
    running = [Process(name, role, free_port(), folder / f"{name}.log") for name, role in roles]
    for process in running:
        process.start(env)
    try:
        async with aiohttp.ClientSession() as session:
            for process in running:
                await _ready(session, process)
        yield running
    finally:
        stop(running)


async def _ready(session: aiohttp.ClientSession, process: Process, within: float = 180.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not process.alive():
            raise BenchFailure(f"{process.name} stopped: {process.output()[-2000:]}")
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(process.url + "/readyz") as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.2)
    raise BenchFailure(f"{process.name} not ready in {within:g} s")


async def _sample(running: list[Process], figures: Figures) -> None:
    while True:
        for process in running:
            if (now := rss_mb(process)) is not None:
                figures.rss_mb[process.name] = max(figures.rss_mb.get(process.name, 0.0), now)
        await asyncio.sleep(0.5)


def _invitations(connector: Connector, people: list[Person]) -> list[float]:
    """When each invitation (a card with the audit's Start) reached its person's chat."""
    at = []
    for person in people:
        for sent in connector.to(person.conversation):
            if sent.method == "POST" and "audit:start:" in str(sent.body):
                at.append(sent.at)
                break
    return sorted(at)


async def run(args: argparse.Namespace, folder: Path) -> Figures:
    figures = Figures(schools=args.schools)
    trust_file, schools = write_trust(folder, args.schools, args.staff)
    key = await _store(args, trust_file, figures)
    people = people_of(folder, schools)
    connector = Connector(members={p.user_id: p.member() for p in people})
    server = TestServer(connector.app(), host="127.0.0.1")
    await server.start_server()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DATA_DIR": str(folder / "data"),
        "TRUST_CONFIG": str(trust_file),
        "ENCRYPTION_KEY": key,
        "WEB_SESSION_SECRET": "bench-" + key,
        "TEAMS_ALLOW_ANONYMOUS": "true",
        "LOG_LEVEL": args.log_level,
        "PYTHONUNBUFFERED": "1",
    }
    try:
        replicas = (("web-1", "web"), ("web-2", "web"))
        async with processes(folder, env, *replicas) as web, aiohttp.ClientSession() as session:
            teams = Teams(connector, str(server.make_url("/")), web, session, [])
            installing = time.perf_counter()
            await _gather_bounded((teams.install(p) for p in people), 20)
            figures.installed_s = time.perf_counter() - installing
            # The scheduler comes once everyone has the app, and reads each school's start:
            # the next whole minute (a scheduler started after it would start at once).
            starts = starting_in_a_minute(folder, schools, lead=args.lead, now=args.start_now)
            async with processes(folder, env, ("scheduler", "scheduler")) as scheduler:
                figures.processes = running = [*web, *scheduler]
                sampling = asyncio.create_task(_sample(running, figures))
                await _morning(args, teams, schools, people, starts, figures)
                sampling.cancel()
            _check_alerts(connector, figures, teams_dsls(schools, people))
            await _check_records(args.database_url, figures)
    finally:
        await server.close()
        if args.keep_logs is not None:  # the processes' own output, for looking into a run
            keep_logs(folder, args.keep_logs)
    return figures


async def _store(args: argparse.Namespace, trust_file: Path, figures: Figures) -> str:
    """The store the morning runs on: seeded with --reports reports, or a copy of the one a
    run with the same --seeded-copy kept. Returns the key its reports are sealed with."""
    shape = Shape(args.schools, args.staff, args.reports)
    if args.seeded_copy:
        copying = time.perf_counter()
        kept = await copied(args.database_url, args.seeded_copy, shape)
        if kept is not None:
            figures.seeded, figures.seeded_s = kept.filed, time.perf_counter() - copying
            figures.seeded_from = args.seeded_copy
            await settle(args.database_url)
            return kept.key
    await reset_schema(args.database_url)
    key = Fernet.generate_key().decode()
    if args.reports:
        from trust_seed import seed_trust

        seeding = time.perf_counter()
        seeded = await seed_trust(args.database_url, trust_file, args.reports, encryption_key=key)
        figures.seeded_s, figures.seeded = time.perf_counter() - seeding, seeded.filed
        figures.errors += seeded.errors
    if args.seeded_copy:
        await keep(args.database_url, args.seeded_copy, shape, Seeded(key, figures.seeded))
    if args.reports:
        await settle(args.database_url)
    return key


def keep_logs(folder: Path, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for log in folder.glob("*.log"):
        shutil.copy(log, into / log.name)


def teams_dsls(schools: list[School], people: list[Person]) -> dict[str, Person]:
    return {s.key: next(p for p in people if p.email == s.dsl) for s in schools}


async def _morning(
    args: argparse.Namespace,
    teams: Teams,
    schools: list[School],
    people: list[Person],
    starts: datetime,
    figures: Figures,
) -> None:
    """From each school's start: the reporters and the answerers, until every member of
    staff is invited."""
    by_school = {s.key: [p for p in people if p.school == s.key] for s in schools}
    dsl = teams_dsls(schools, people)
    staff = {s.key: [p for p in by_school[s.key] if p.email in s.staff] for s in schools}
    reporters = [
        (staff[s.key][0 if i < len(schools) else 1], dsl[s.key])
        for i, s in enumerate(schools[i % len(schools)] for i in range(args.reporters))
    ]
    answerers = [
        staff[s.key][-1 - i // len(schools)]
        for i, s in enumerate(schools[i % len(schools)] for i in range(args.answerers))
    ]
    wait = (starts - datetime.now(TZ)).total_seconds()
    print(
        f"installed {len(people)} in {figures.installed_s:.0f} s; the morning starts in "
        f"{max(wait, 0):.0f} s",
        file=sys.stderr,
    )
    await asyncio.sleep(max(wait, 0))
    started = time.perf_counter()
    invited_within = TRUST_START_SPREAD_SECONDS + 2 * len(people) / TEAMS_RATE + 120
    work = [
        *(reporter(teams, p, d, args, figures) for p, d in reporters),
        *(answerer(teams, p, figures, args.think, invited_within) for p in answerers),
    ]
    outcomes = await asyncio.gather(*work, return_exceptions=True)
    figures.errors += [repr(o) for o in outcomes if isinstance(o, BaseException)]
    await _all_invited(args.database_url, teams.connector, people, invited_within, figures)
    figures.wall_s = time.perf_counter() - started
    figures.invitations = _invitations(teams.connector, people)


async def _gather_bounded(work: Any, limit: int) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(item: Any) -> None:
        async with gate:
            await item

    await asyncio.gather(*(one(item) for item in work))


async def _all_invited(
    database_url: str, connector: Connector, people: list[Person], within: float, figures: Figures
) -> None:
    """Wait until every school's campaign has started and every person it asks has had their
    invitation (the campaign asks whoever the school's file names and Teams can reach)."""
    deadline = time.monotonic() + within
    engine = create_async_engine(database_url)
    try:
        while True:
            async with trust_sessions(engine)() as session:
                campaigns = await session.scalar(select(func.count()).select_from(AuditCampaign))
                asked = await session.scalar(select(func.count()).select_from(AuditParticipant))
            got = len(_invitations(connector, people))
            if campaigns == figures.schools and got >= (asked or 0):
                return
            if time.monotonic() > deadline:
                figures.errors.append(
                    f"{campaigns} of {figures.schools} campaigns, {got} of {asked} invited in "
                    f"{within:.0f} s"
                )
                return
            await asyncio.sleep(1.0)
    finally:
        await engine.dispose()


def _check_alerts(connector: Connector, figures: Figures, dsl: dict[str, Person]) -> None:
    for reference, key in figures.references.items():
        for other, person in dsl.items():
            if other != key and any(
                names(text_of(s.body), reference) for s in connector.to(person.conversation)
            ):
                figures.errors.append(f"LEAK: {reference} of {key} reached {other}'s DSL")


async def _check_records(database_url: str, figures: Figures) -> None:
    engine = create_async_engine(database_url)
    try:
        async with trust_sessions(engine)() as session:
            from storage.models import School as SchoolRow

            keys = dict(list(await session.execute(select(SchoolRow.id, SchoolRow.key))))
            for reference, key in figures.references.items():
                found = [
                    keys[s]
                    for s in await session.scalars(
                        select(Report.school_id).where(Report.reference == reference)
                    )
                ]
                if found != [key]:
                    figures.errors.append(f"LEAK: {reference} of {key} is in {found}")
            finished = await session.execute(
                select(AuditParticipant.school_id, func.count())
                .where(AuditParticipant.status == "finished")
                .group_by(AuditParticipant.school_id)
            )
            stored = {keys[s]: n for s, n in finished}
        for key, done in figures.answered.items():
            if stored.get(key) != done:
                figures.errors.append(f"{key}: {done} answered, {stored.get(key)} stored")
    finally:
        await engine.dispose()


def report(args: argparse.Namespace, figures: Figures) -> None:
    print(
        f"trust morning in processes: {args.schools} schools, {args.staff} staff, "
        f"{args.answerers} answering, {args.reporters} reporters x {args.flows} concerns, think "
        f"{args.think:g} s, {figures.seeded} reports seeded, 2 web replicas and a scheduler on "
        f"PostgreSQL, Teams; {figures.wall_s:.1f} s"
    )

    def line(name: str, values: list[float], budget: float | None) -> None:
        if not values:
            print(f"  {name:<30} none")
            return
        p50, p99 = percentile(values, 50), percentile(values, 99)
        verdict = "" if budget is None else (" met" if p99 < budget else " NOT met")
        target = "" if budget is None else f" (budget p99 < {budget:g} ms){verdict}"
        print(f"  {name:<30} n={len(values):<6} p50 {p50:7.1f}  p99 {p99:7.1f} ms{target}")

    line("reporter turn", figures.reporter_ms, TURN_BUDGET_MS)
    line("alert to the school's DSL", figures.alert_ms, ALERT_BUDGET_MS)
    line("self-audit answerer turn", figures.answerer_ms, None)
    sent = figures.invitations
    if len(sent) > 1:
        rate = (len(sent) - 1) / max(sent[-1] - sent[0], 1e-9)
        ratio = rate / TEAMS_RATE
        verdict = "met" if ratio >= INVITATION_RATE_BUDGET else "NOT met"
        print(
            f"  {'invitations':<30} {len(sent)} in {sent[-1] - sent[0]:.1f} s: {rate:.1f}/s of "
            f"Teams' {TEAMS_RATE:g}/s = {ratio:.0%} (budget >= {INVITATION_RATE_BUDGET:.0%}) "
            f"{verdict}"
        )
    for name, mb in figures.rss_mb.items():
        verdict = "met" if mb < RSS_BUDGET_MB else "NOT met"
        print(
            f"  {'RSS, ' + name + ' (highest)':<30} {mb:7.1f} MB (budget < {RSS_BUDGET_MB:g} MB) "
            f"{verdict}"
        )
    if figures.seeded_from:
        print(
            f"  {'seeded':<30} {figures.seeded} reports, a copy of {figures.seeded_from} "
            f"made in {figures.seeded_s:.0f} s"
        )
    elif figures.seeded:
        print(f"  {'seeded':<30} {figures.seeded} reports in {figures.seeded_s:.0f} s")
    print(f"  {'installed':<30} every person in {figures.installed_s:.0f} s")
    print(f"  self-audits answered           {sum(figures.answered.values())} of {args.answerers}")
    print(f"  errors (incl. leaks)           {len(figures.errors)}")
    for error in figures.errors[:20]:
        print(f"    {error}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL (postgresql+asyncpg)")
    the_people(parser)
    parser.add_argument("--think", type=float, default=3.0, help="seconds over each answer")
    parser.add_argument("--reports", type=int, default=200_000, help="reports seeded first")
    parser.add_argument(
        "--lead", type=float, default=20.0, help="seconds at least between ready and the morning"
    )
    parser.add_argument(
        "--start-now",
        action="store_true",
        help="start every school's self-audit as the scheduler starts (as a start it missed: "
        "all at once), not at the next minute with the schools spread (for a quick check)",
    )
    parser.add_argument("--log-level", default="WARNING", help="the processes' LOG_LEVEL")
    parser.add_argument("--keep-logs", type=Path, help="copy the processes' logs to this folder")
    parser.add_argument(
        "--seeded-copy",
        metavar="NAME",
        help="keep the seeded store as the database NAME on the first run, and start each later "
        "run of the same shape from a copy of it rather than seeding again "
        "(bench/trust_seeded.py)",
    )
    args = parser.parse_args(argv)
    if args.seeded_copy and (problem := check_name(args.seeded_copy)):
        parser.error(f"--seeded-copy: {problem}")
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url: PostgreSQL (several processes share it)")
    name = make_url(args.database_url).database or ""
    if "bench" not in name and not name.startswith("osb_test_"):  # as bench/trust.py asks
        parser.error(
            "--database-url must name a database made for the bench (its name contains "
            '"bench": createdb bench): its schema is reset'
        )
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
