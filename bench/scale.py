"""Memory and latency at a multi-academy-trust size: 10,000 stored reports and 2,000 staff.

Writes a school file (the example school plus --staff generated members of staff), prepares
(a) an empty store and (b) a store seeded with --reports reports, and starts the real bot on each
as a separate process (`python -m bot run`, web chat only, the scheduler on). It measures each
process: its resident memory (VmRSS, from /proc/<pid>/status) after start and after the timed
turns, and its peak (VmHWM); the web chat's turn latency for a member of staff filing whole
concerns (14 turns each, start to reference number, the turn_latency.py client and script); and
the latency of two commands that read the stored reports, the DSL's "cases" and a reporter's "my
reports". The timed work alternates between the two bots, so a busy neighbour on the machine hits
both alike. Prints a table, the ratios seeded/empty, and whether the targets (peak RSS under
200 MB; staff-turn p50 and p99 ratios under 1.5) are met.

The reports are seeded through the services the router uses (submit_report, AlertDesk,
acknowledge, add_note, record_action, close_case), so every report has what a real one has:
encrypted answers, its reference, its event-log entries (a valid hash chain) and its outbox rows
(marked sent, as the dispatcher would). `python -m bot verify-log` is run on the seeded store.

    .venv/bin/python bench/scale.py [--reports N] [--staff N] [--turns N] [--store S]
                                    [--database-url URL --seeded-database-url URL2
                                     --reset-schema]

Exit status: 0 when the seeding, the verify-log check and every timed turn went as scripted; 1
when one did not, the bot did not start or stopped, or the run passed --max-seconds (the reason
is printed after FAILED:); 2 for bad arguments. Timings and memory never change the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import signal
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from common import (  # bench/ is on sys.path when run
    BenchFailure,
    percentile,
    reset_schema,
    run_bounded,
)
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from turn_latency import (  # the same web chat client and script as the turn-latency benchmark
    SCRIPT,
    ChatClient,
    Results,
    Step,
    _asked,
    _decode,
    run_flow,
)

from bot.app import Bot, build_bot, prepare_storage
from bot.services import cases
from bot.services.conversations import ConversationDoc
from bot.services.recipients import HANDLER_ROLES
from bot.services.reports import AnswerRow, open_urgent_report, submit_report
from bot.settings import PROJECT_ROOT, Settings
from dialogs.answers import options_of
from dialogs.datetimes import store_moment
from dialogs.display import summary_for
from dialogs.engine import Dialog, Reply, Turn
from dialogs.model import StepSpec
from storage.models import Conversation, Event, Outbox, Report

TARGET_RSS_MB = 200.0  # MB = 10^6 bytes: the stricter reading of "200 MB"
TARGET_RATIO = 1.5
EXAMPLE_CONFIG = PROJECT_ROOT / "config" / "school.example.yaml"
START_TIMEOUT_S = 120.0  # the bot process: import, migrate, sync people, listen
STOP_TIMEOUT_S = 30.0
SETTLE_S = 2.0  # after /readyz: the scheduler's first sweep runs at start
QUIET_S = 1.0  # the DSL's tab: no frame for this long means the pushed alerts are all in
DSL = "a.hartley@example.org"
TRUST_DOMAIN = "trust.example.org"
SEED_YEARS = 4  # the seeded reports are spread over this many years, ending a day ago
SEED_BATCH = 1500  # seeding actions per transaction
CASES = Step("menu", "action", "__cases", "menu")
MINE = Step("menu", "action", "__mine", "menu")
FIRST_NAMES = (
    "Aisha", "Ben", "Chloe", "Dev", "Ella", "Femi", "Grace", "Hugo", "Imran", "Jade", "Kai",
    "Lena", "Marcus", "Nia", "Oscar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor",
    "Wendy", "Xander", "Yara", "Zoe", "Adam", "Bea", "Carl", "Dina", "Eve", "Finn", "Gita", "Hana",
    "Ivan", "Jon", "Kate", "Liam", "Maya", "Noah", "Olu", "Pia", "Raj", "Sana", "Theo", "Una",
    "Vik", "Will", "Yusuf", "Zara",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Bailey", "Carter", "Dixon", "Evans", "Fraser", "Gill", "Hughes", "Iqbal", "Jones",
    "Khan", "Lewis", "Morgan", "Nash", "Owen", "Patel", "Quinn", "Reid", "Shah", "Turner", "Usman",
    "Vaughan", "Walsh", "Young", "Ahmed", "Brooks", "Clarke", "Dunn", "Ellis", "Ford", "Green",
    "Hall", "Ingram", "James", "Kerr", "Lloyd", "Mills", "Noor", "Oakes", "Price", "Rahman",
    "Scott", "Taylor", "Upton", "Varma", "Wood", "Yates", "Zaman", "Baker", "Cole", "Doyle",
    "Hart", "Kelly", "Lamb", "Moss", "Nolan", "Parry", "Rowe", "Stone", "Webb",
)  # fmt: skip
SENTENCES = (
    "AB showed me messages in the class group chat at break.",
    "They said it has been going on since half term and they did not want to come to school.",
    "I noticed the screen during the lesson and asked the pupil to turn it off.",
    "A parent phoned the office about a video shared in a year group chat.",
    "The pupil was upset and asked me not to tell anyone, and I explained that I had to.",
    "Several pupils were laughing at a meme about another pupil on a phone.",
    "The messages asked for photos and offered money for them.",
    "A site with gambling adverts came through the filter on a classroom laptop.",
    "The pupil said an older boy they met in a game has been messaging them every night.",
    "I kept the device in the office and wrote down what I saw, without opening anything.",
    "CD said it was only a joke and that everyone does it.",
    "The class teacher confirmed the pupil has seemed withdrawn for two weeks.",
)
RARE_YES = {  # how often a seeded report answers yes here (other yes/no steps: half the time)
    "immediate_danger": 0.05,
    "about_adult": 0.03,
    "adult_is_head": 0.1,
    "possibly_illegal": 0.03,
}
FLOW_SHARE = {"concern": 0.8, "filtering": 0.2}
DECISIONS = (
    "referred_police",
    "referred_social_care",
    "handled_in_school",
    "handled_in_school",
    "no_further_action",
    "no_further_action",
)
ACTION_KEYS = tuple(cases.ACTIONS)


# --- the school file


def write_school(folder: Path, staff: int) -> tuple[Path, str, int]:
    """The example school plus `staff` generated members of staff; returns (path, the timed
    reporter, how many people).

    The DSL, deputies, headteacher and chair stay the example's, so alerting is unchanged."""
    document: dict[str, Any] = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    people: list[dict[str, Any]] = document["people"]
    for n in range(staff):
        first = FIRST_NAMES[n % len(FIRST_NAMES)]
        last = LAST_NAMES[(n // len(FIRST_NAMES)) % len(LAST_NAMES)]
        suffix = "" if n < len(FIRST_NAMES) * len(LAST_NAMES) else f" {n}"
        email = f"{first[0]}.{last}.{n:05d}@{TRUST_DOMAIN}".lower()
        people.append({"email": email, "name": f"{first} {last}{suffix}", "roles": ["staff"]})
    path = folder / "school.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    # The timed reporter: the last person in the file, the worst case for a scan of the people.
    plain = [p["email"] for p in people if p["roles"] == ["staff"]]
    return path, plain[-1], len(people)


# --- seeding: answers walked through the real flows, reports filed through the services


@dataclass
class Planned:
    """One seeded report: its answers as the flow produced them, when, and what happens next."""

    index: int
    flow_id: str
    reporter: str
    at: datetime
    answers: dict[str, Any]
    rows: list[AnswerRow]
    signals: list[str]
    urgent_answers: dict[str, Any] | None  # the answers when "immediate danger: yes" was given
    closed: bool
    filed: list[int] = field(default_factory=list)  # report ids: the report (and a linked one)


@dataclass(order=True)
class Action:
    at: datetime
    order: int
    kind: str = field(compare=False)  # file | ack | note | action | close
    planned: Planned = field(compare=False)


@dataclass
class SeedStats:
    seconds: float = 0.0
    walk_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    verify_log: str = ""


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def _text_for(step: StepSpec, rng: random.Random, staff_names: list[str]) -> str:
    if step.id == "pupils":
        pupils = [
            f"{rng.choice('ABCDEFGHJKLMNPRSTW')}{rng.choice('ABCDEFGHJKLMNPRSTW')} "
            f"(Year {rng.randint(3, 11)})"
            for _ in range(rng.randint(1, 3))
        ]
        text = "; ".join(pupils)
    elif step.id == "adult_who":
        text = f"Mr {rng.choice(staff_names).split()[-1]}, a teaching assistant"
    elif step.id in {"where", "address"}:
        text = (
            f"A chat app on a pupil's phone, link https://site{rng.randint(1, 999)}.example.com/p"
        )
    else:
        text = " ".join(rng.sample(SENTENCES, rng.randint(1, 4)))
    return text[: step.max_length] if step.max_length else text


def _replies(step: StepSpec, rng: random.Random, staff_names: list[str]) -> list[Reply]:
    """What a seeded reporter answers at this step: first choice first, fall-backs after."""
    values = [o.value for o in options_of(step)]
    if step.kind in {"yes_no", "choice"} and "yes" in values:
        if rng.random() < RARE_YES.get(step.id, 0.5):
            return [Reply(value="yes")]
        others = [v for v in values if v != "yes"]
        return [Reply(value=rng.choice(others))]
    if step.kind in {"choice", "confirm"}:
        return [Reply(value=rng.choice(values) if step.kind == "choice" else values[0])]
    if step.kind == "multi_choice":
        return [Reply(values=tuple(rng.sample(values, rng.randint(1, min(2, len(values))))))]
    if step.kind == "datetime":
        return [Reply(text=t) for t in ("yesterday 15:00", "today 09:00", "tomorrow 10:00")]
    return [Reply(text=_text_for(step, rng, staff_names))]


def walk(
    dialog: Dialog, rng: random.Random, staff_names: list[str]
) -> tuple[Turn, dict[str, Any] | None]:
    """Answer a report flow to its end, as a person would; returns the completing turn."""
    turn = dialog.start()
    state = turn.state
    urgent_answers: dict[str, Any] | None = None
    for _ in range(80):
        if state.step is None:
            turn = dialog.handle(state, Reply(value="__submit"))
            if turn.outcome != "completed":
                raise BenchFailure(f"seeding: {dialog.spec.id} did not complete at the summary")
            return turn, urgent_answers
        step = dialog.spec.step(state.step)
        for reply in _replies(step, rng, staff_names):
            turn = dialog.handle(state, reply)
            state = turn.state
            if step.id in state.answers:
                break
        else:
            raise BenchFailure(f"seeding: no answer accepted at {dialog.spec.id}/{step.id}")
        if "urgent" in turn.new_signals and urgent_answers is None:
            urgent_answers = turn.answers(dialog)
    raise BenchFailure(f"seeding: {dialog.spec.id} did not reach its summary")


def plan_reports(
    bot: Bot, clock: Clock, *, reports: int, active: int, seed: int
) -> tuple[list[Planned], list[Action]]:
    rng = random.Random(seed)
    school = bot.school
    reporters = [p.email for p in school.people if "staff" in {str(r) for r in p.roles}]
    staff_names = [p.name for p in school.people if p.email.endswith(TRUST_DOMAIN)] or [
        p.name for p in school.people
    ]
    dialogs = {
        flow_id: Dialog(bot.router.flows[flow_id], tz=school.tz, clock=clock)
        for flow_id in FLOW_SHARE
    }
    end = clock.now - timedelta(days=1)
    span = timedelta(days=365 * SEED_YEARS)
    step = span / max(reports, 1)
    planned: list[Planned] = []
    actions: list[Action] = []
    order = 0
    for index in range(reports):
        at = end - span + step * (index + rng.random() * 0.9)
        flow_id = "concern" if rng.random() < FLOW_SHARE["concern"] else "filtering"
        clock.now = at
        dialog = dialogs[flow_id]
        turn, urgent_answers = walk(dialog, rng, staff_names)
        summary = summary_for(dialog, turn.state)
        rows = [
            AnswerRow(row.step_id, dialog.spec.step(row.step_id).prompt, row.label, row.value)
            for row in summary.rows
        ]
        closed = index < reports - active
        report = Planned(
            index,
            flow_id,
            rng.choice(reporters),
            at,
            turn.answers(dialog),
            rows,
            list(turn.state.signals),
            urgent_answers,
            closed,
        )
        planned.append(report)
        acked = at + timedelta(minutes=rng.uniform(2, 90))
        closes = min(at + timedelta(days=rng.uniform(3, 30)), end + timedelta(hours=23))
        times = [("file", at), ("ack", acked)]
        if closed:
            if rng.random() < 0.5:
                times.append(("note", acked + (closes - acked) * 0.3))
            if rng.random() < 0.6:
                times.append(("action", acked + (closes - acked) * 0.6))
            times.append(("close", closes))
        elif rng.random() < 0.5 and acked + timedelta(hours=2) < end:
            times.append(("note", acked + timedelta(hours=1)))
        for kind, moment in times:
            actions.append(Action(moment, order, kind, report))
            order += 1
    clock.now = datetime.now(UTC)
    return planned, sorted(actions)


class Seeder:
    def __init__(self, bot: Bot, seed: int) -> None:
        self.bot = bot
        self.desk = bot.router.desk
        self.rng = random.Random(seed + 1)
        self.live: dict[int, Report] = {}  # reports still to be acted on, by id

    async def run(self, actions: list[Action]) -> None:
        async with self.bot.router.sessions() as session:
            for start in range(0, len(actions), SEED_BATCH):
                async with session.begin():
                    for action in actions[start : start + SEED_BATCH]:
                        await self.act(session, action)
                    await mark_sent(session)

    async def act(self, session: AsyncSession, action: Action) -> None:
        planned, now = action.planned, action.at
        if action.kind == "file":
            await self.file(session, planned, now)
            return
        for report_id in planned.filed:
            report = self.live[report_id]
            if action.kind == "ack":
                plan = await self.desk.plan(report)
                who = self.rng.choice(plan.levels[0].emails) if plan.levels else DSL
                await cases.acknowledge(session, self.desk, report=report, email=who, now=now)
                later = now + timedelta(minutes=1)
                await cases.record_view(session, report=report, email=who, now=later)
            elif action.kind == "note":
                who = report.acknowledged_by or DSL
                text = " ".join(self.rng.sample(SENTENCES, 2))
                await cases.add_note(
                    session, self.desk, report=report, email=who, text=text, now=now
                )
            elif action.kind == "action":
                who = report.acknowledged_by or DSL
                await cases.record_action(
                    session,
                    self.desk,
                    report=report,
                    email=who,
                    action=self.rng.choice(ACTION_KEYS),
                    details=self.rng.choice(SENTENCES),
                    done_at=store_moment(now.astimezone(self.bot.school.tz)),
                    now=now,
                )
            elif action.kind == "close":
                who = report.acknowledged_by or DSL
                await cases.close_case(
                    session,
                    self.desk,
                    report=report,
                    email=who,
                    decision=self.rng.choice(DECISIONS),
                    outcome=" ".join(self.rng.sample(SENTENCES, 2)),
                    reasons=" ".join(self.rng.sample(SENTENCES, 2)),
                    criteria=[],
                    now=now,
                )
                del self.live[report_id]

    async def file(self, session: AsyncSession, planned: Planned, now: datetime) -> None:
        """What Router._after and Router._submit do for the same answers."""
        bot = self.bot
        flow = bot.router.flows[planned.flow_id].spec
        report_id = None
        if planned.urgent_answers is not None:
            opened = now - timedelta(minutes=4)
            urgent = await open_urgent_report(
                session,
                cipher=bot.cipher,
                flow=flow,
                reporter_email=planned.reporter,
                channel="web",
                answers=planned.urgent_answers,
                now=opened,
            )
            await self.desk.raise_alert(session, report=urgent, now=opened)
            report_id = urgent.id
        filed = await submit_report(
            session,
            cipher=bot.cipher,
            flow=flow,
            reporter_email=planned.reporter,
            channel="web",
            answers=planned.answers,
            rows=planned.rows,
            signals=planned.signals,
            report_id=report_id,
            now=now,
        )
        for report in (filed.report, filed.linked):
            if report is not None:
                await self.desk.raise_alert(session, report=report, now=now)
                planned.filed.append(report.id)
                self.live[report.id] = report


async def mark_sent(session: AsyncSession) -> None:
    """What the dispatcher records once every queued row has been delivered."""
    await session.execute(
        update(Outbox)
        .where(Outbox.status == "pending")
        .values(status="sent", attempts=1, sent_at=Outbox.next_attempt_at)
    )


async def add_conversations(bot: Bot, planned: list[Planned]) -> None:
    """Everyone who reported or handled a case has a conversation row, idle at the menu (their
    drafts are long gone, and so are their message ids: those are kept for two days)."""
    last: dict[str, tuple[datetime, int]] = {}
    for report in planned:
        _, turns = last.get(report.reporter, (report.at, 0))
        last[report.reporter] = (report.at, turns + len(SCRIPT))
    final = max((r.at for r in planned), default=datetime.now(UTC))
    for person in bot.school.people_with(*HANDLER_ROLES):
        last.setdefault(person.email, (final, 0))
    idle = bot.cipher.encrypt_json(ConversationDoc().to_json())
    async with bot.router.sessions() as session, session.begin():
        session.add_all(
            Conversation(
                channel="web",
                conversation_key=email,
                user_email=email,
                state_enc=idle,
                version=turns,
                draft_started_at=None,
                updated_at=at,
            )
            for email, (at, turns) in last.items()
        )


async def seed_store(bot: Bot, args: argparse.Namespace) -> SeedStats:
    stats = SeedStats()
    started = time.perf_counter()
    await prepare_storage(bot)
    clock = Clock()
    planned, actions = plan_reports(
        bot, clock, reports=args.reports, active=args.active_cases, seed=args.seed
    )
    stats.walk_seconds = time.perf_counter() - started
    await Seeder(bot, args.seed).run(actions)
    await add_conversations(bot, planned)
    async with bot.router.sessions() as session:
        for name, model in (("reports", Report), ("events", Event), ("outbox", Outbox)):
            stats.counts[name] = int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
        open_ = select(func.count()).where(Report.case_status.in_(("open", "acknowledged")))
        stats.counts["active cases"] = int(await session.scalar(open_) or 0)
    stats.seconds = time.perf_counter() - started
    return stats


# --- the bot process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bot_env(data_dir: Path, database_url: str, school: Path) -> dict[str, str]:
    """The bench's settings, and nothing from the caller's environment that Settings reads."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in ours}
    env.update(
        DATA_DIR=str(data_dir),
        DATABASE_URL=database_url,
        SCHOOL_CONFIG=str(school),
        WEB_CHAT_ENABLED="true",
        LOG_LEVEL="INFO",
    )
    return env


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (peak), RssAnon, RssFile of a process, in kB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM", "RssAnon", "RssFile"}:
            fields[key] = int(value.split()[0])
    return fields


def cpu_seconds(pid: int) -> float:
    after_name = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(after_name[11]) + int(after_name[12])) / os.sysconf("SC_CLK_TCK")


class BotProcess:
    """`python -m bot run` in a process of its own, its output in a log file."""

    def __init__(self, env: dict[str, str], folder: Path, profile: str | None) -> None:
        self.env = env
        self.folder = folder
        self.port = free_port()
        self.log = folder / "bot.log"
        self.profile = profile
        self.process: asyncio.subprocess.Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        command = [sys.executable]
        if self.profile:
            command += ["-m", "cProfile", "-o", self.profile]
        command += ["-m", "bot", "run", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                *command,
                env=self.env,
                cwd=self.folder,  # no stray .env file is read
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            while time.monotonic() < deadline:
                self.check_alive()
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(f"{self.base_url}/readyz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise BenchFailure(f"the bot was not ready within {START_TIMEOUT_S:g} s{self.tail()}")

    def check_alive(self) -> None:
        if self.process is not None and self.process.returncode is not None:
            raise BenchFailure(
                f"the bot process exited with status {self.process.returncode}{self.tail()}"
            )

    def tail(self) -> str:
        with contextlib.suppress(OSError):
            lines = self.log.read_text(errors="replace").splitlines()[-15:]
            return "; its log ends:\n  " + "\n  ".join(lines)
        return ""

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGINT)  # run_app's graceful shutdown
        try:
            await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def verify_log(env: dict[str, str], folder: Path) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "verify-log",
        env=env,
        cwd=folder,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace").strip()
    if process.returncode != 0:
        raise BenchFailure(f"python -m bot verify-log exited {process.returncode}: {text}")
    return text.splitlines()[0] if text else ""


# --- the stores, measured side by side


@dataclass
class Measured:
    name: str
    seed: SeedStats | None = None
    start_seconds: float = 0.0
    rss_start: dict[str, int] = field(default_factory=dict)
    rss_after: dict[str, int] = field(default_factory=dict)
    turns: Results = field(default_factory=Results)
    cases_ms: list[float] = field(default_factory=list)
    cases_listed: int = 0
    mine_ms: list[float] = field(default_factory=list)
    mine_listed: int = 0
    bot_cpu_s: float = 0.0
    verify_after: str = ""


class DslClient(ChatClient):
    async def drain(self) -> int:
        """Read pushed frames (the alerts queued while the DSL was away) until it goes quiet."""
        assert self._ws is not None
        frames = 0
        while True:
            try:
                message = await self._ws.receive(timeout=QUIET_S)
            except TimeoutError:
                return frames
            _decode(message, self.email)
            frames += 1


@dataclass
class Store:
    """One database and the bot process serving it."""

    name: str
    folder: Path
    env: dict[str, str]
    bot: BotProcess
    result: Measured
    staff: ChatClient | None = None
    dsl: DslClient | None = None


def _card_fields(reply: dict[str, Any], card_id: str) -> int:
    for item in reply.get("items") or []:
        if item.get("kind") == "card" and item.get("card_id") == card_id:
            return len(item.get("fields") or [])
    return 0


async def command(client: ChatClient, step: Step, card_id: str) -> tuple[float, int]:
    """One timed command from the menu; returns (ms, how many lines its card listed)."""
    ms, reply = await client.turn(step)
    if _asked(reply) != "menu":
        raise BenchFailure(f"{client.email}: {step.payload!r} did not end at the menu: {reply}")
    return ms, _card_fields(reply, card_id)


def rotations(stores: list[Store], times: int) -> Iterator[Store]:
    """Each store in turn, `times` rounds, the order alternating every round, so a noisy
    neighbour on the machine (or the other bot's scheduled sweep) hits every store alike."""
    for round_ in range(times):
        yield from (stores if round_ % 2 == 0 else list(reversed(stores)))


async def measure(args: argparse.Namespace, stores: list[Store], reporter: str) -> None:
    run_id = f"scale-{os.getpid()}"
    for store in stores:
        started = time.perf_counter()
        await store.bot.start()
        store.result.start_seconds = time.perf_counter() - started
    await asyncio.sleep(SETTLE_S)
    for store in stores:
        store.bot.check_alive()
        store.result.rss_start = memory_kb(store.bot.pid)
        store.staff = ChatClient(store.bot.base_url, reporter, f"{run_id}-{store.name}")
        await store.staff.open()
        for _ in range(args.warmup):
            await run_flow(store.staff, None)
    cpu_before = {s.name: cpu_seconds(s.bot.pid) for s in stores}
    for store in rotations(stores, math.ceil(args.turns / len(SCRIPT))):
        assert store.staff is not None
        await run_flow(store.staff, store.result.turns)
    for store in stores:
        store.result.bot_cpu_s = cpu_seconds(store.bot.pid) - cpu_before[store.name]
    for store in rotations(stores, args.commands):
        assert store.staff is not None
        ms, store.result.mine_listed = await command(store.staff, MINE, "my-reports")
        store.result.mine_ms.append(ms)
    for store in stores:
        store.dsl = DslClient(store.bot.base_url, DSL, f"{run_id}-{store.name}")
        await store.dsl.open()
        await store.dsl.drain()
        for _ in range(2):  # untimed: the first lists after the alerts were pushed
            await command(store.dsl, CASES, "open-cases")
    for store in rotations(stores, args.commands):
        assert store.dsl is not None
        ms, store.result.cases_listed = await command(store.dsl, CASES, "open-cases")
        store.result.cases_ms.append(ms)
    for store in stores:
        store.bot.check_alive()
        store.result.rss_after = memory_kb(store.bot.pid)


async def prepare(args: argparse.Namespace, name: str, folder: Path, school: Path) -> Store:
    """A fresh database for one store; the seeded one is seeded and its log verified."""
    store_folder = folder / name
    store_folder.mkdir()
    data_dir = store_folder / "data"
    given = args.seeded_database_url if name == "seeded" else args.database_url
    url = given or f"sqlite+aiosqlite:///{(data_dir / 'bot.db').as_posix()}"
    if args.reset_schema:
        await reset_schema(url)
    env = bot_env(data_dir, url, school)
    result = Measured(name)
    if name == "seeded":
        print(f"seeding {args.reports} reports ...", file=sys.stderr, flush=True)
        settings = Settings(
            data_dir=data_dir,
            database_url=url,
            school_config=school,
            flows_dir=None,
            encryption_key=None,
            web_chat_enabled=True,
        )
        bot = build_bot(settings)
        try:
            result.seed = await seed_store(bot, args)
        finally:
            await bot.engine.dispose()
        result.seed.verify_log = await verify_log(env, store_folder)
    profile = f"{args.profile_bot}-{name}.prof" if args.profile_bot else None
    return Store(name, store_folder, env, BotProcess(env, store_folder, profile), result)


@dataclass
class Run:
    people: int
    reporter: str
    results: list[Measured]


async def bench(args: argparse.Namespace, folder: Path) -> Run:
    school, reporter, people = write_school(folder, args.staff)
    names = [n for n in ("empty", "seeded") if args.store in {"both", n}]
    stores = [await prepare(args, name, folder, school) for name in names]
    print("measuring ...", file=sys.stderr, flush=True)
    try:
        await measure(args, stores, reporter)
    finally:
        for store in stores:
            for client in (store.staff, store.dsl):
                if client is not None:
                    await client.close()
            await store.bot.stop()
    for store in stores:
        if store.result.seed is not None:
            store.result.verify_after = await verify_log(store.env, store.folder)
    return Run(people, reporter, [store.result for store in stores])


# --- the report


def _mb(kb: int) -> float:
    return kb * 1024 / 1e6


def report(args: argparse.Namespace, run: Run) -> None:
    results = run.results
    urls = [u for u in (args.database_url, args.seeded_database_url) if u]
    if urls:
        shown = " and ".join(make_url(u).render_as_string(hide_password=True) for u in urls)
    else:
        shown = "SQLite (aiosqlite), a file per store in a temporary folder, deleted afterwards"
    flows = math.ceil(args.turns / len(SCRIPT))
    print("scale: the bot as its own process (python -m bot run), web chat over loopback")
    print(f"database: {shown}")
    print(
        f"school: {run.people} people ({args.staff} generated staff added to the example's); "
        f"timed reporter {run.reporter}, DSL {DSL}"
    )
    print(
        f"timed, alternating between the stores: {flows} concerns ({flows * len(SCRIPT)} turns) "
        f"each after {args.warmup} warm-up, then {args.commands} x 'my reports' and "
        f"{args.commands} x the DSL's 'cases'"
    )
    for result in results:
        if result.seed is not None:
            seed = result.seed
            counts = ", ".join(f"{v} {k}" for k, v in seed.counts.items())
            print(
                f"seeded: {counts} in {seed.seconds:.1f} s "
                f"(walking the flows {seed.walk_seconds:.1f} s)"
            )
            print(f"verify-log after seeding: {seed.verify_log}")
            print(f"verify-log after the run: {result.verify_after}")
    by_name = {r.name: r for r in results}
    names = [r.name for r in results]

    def cells(value: Any) -> str:
        return "".join(f"{value(by_name[n]):>12}" for n in names)

    def ratio(value: Any) -> str:
        if len(results) < 2 or not value(by_name["empty"]):
            return ""
        return f"{value(by_name['seeded']) / value(by_name['empty']):>13.2f}x"

    head = "".join(f"{n:>12}" for n in names)
    print(f"{'':<36}{head}{'seeded/empty' if len(results) == 2 else '':>14}")

    def line(label: str, value: Any, fmt: str = "{:.2f}") -> None:
        text = "".join(f"{fmt.format(value(by_name[n])):>12}" for n in names)
        print(f"{label:<36}{text}{ratio(value)}")

    def pct(values: Any, p: float) -> Any:
        return lambda r: percentile(values(r), p)

    line("bot start to ready (s)", lambda r: r.start_seconds, "{:.1f}")
    line("RSS after start (MB)", lambda r: _mb(r.rss_start["VmRSS"]), "{:.1f}")
    line("RSS after the timed turns (MB)", lambda r: _mb(r.rss_after["VmRSS"]), "{:.1f}")
    line("  of which anonymous (MB)", lambda r: _mb(r.rss_after["RssAnon"]), "{:.1f}")
    line("peak RSS, VmHWM (MB)", lambda r: _mb(r.rss_after["VmHWM"]), "{:.1f}")
    line("staff turn p50 (ms)", pct(lambda r: r.turns.turn_ms, 50))
    line("staff turn p95 (ms)", pct(lambda r: r.turns.turn_ms, 95))
    line("staff turn p99 (ms)", pct(lambda r: r.turns.turn_ms, 99))
    line("staff turn max (ms)", lambda r: max(r.turns.turn_ms))
    line("  the submit, p50 (ms)", pct(lambda r: r.turns.step_ms["summary"], 50))
    line("  the submit, p99 (ms)", pct(lambda r: r.turns.step_ms["summary"], 99))
    line("  the turn after a submit, p50 (ms)", pct(lambda r: r.turns.step_ms["menu"], 50))
    line("  the turn after a submit, p99 (ms)", pct(lambda r: r.turns.step_ms["menu"], 99))
    line("bot CPU per staff turn (ms)", lambda r: r.bot_cpu_s / len(r.turns.turn_ms) * 1000)
    line("'my reports' p50 (ms)", pct(lambda r: r.mine_ms, 50))
    line("'my reports' p99 (ms)", pct(lambda r: r.mine_ms, 99))
    line("  reports listed", lambda r: r.mine_listed, "{:d}")
    line("DSL 'cases' p50 (ms)", pct(lambda r: r.cases_ms, 50))
    line("DSL 'cases' p95 (ms)", pct(lambda r: r.cases_ms, 95))
    line("DSL 'cases' p99 (ms)", pct(lambda r: r.cases_ms, 99))
    line("  cases listed", lambda r: r.cases_listed, "{:d}")
    peak = max(_mb(r.rss_after["VmHWM"]) for r in results)
    verdict = "met" if peak < TARGET_RSS_MB else "not met"
    print(f"RSS target: peak under {TARGET_RSS_MB:g} MB -> {verdict} (peak {peak:.1f} MB)")
    if len(results) == 2:
        empty, seeded = by_name["empty"].turns.turn_ms, by_name["seeded"].turns.turn_ms
        p50 = percentile(seeded, 50) / percentile(empty, 50)
        p99 = percentile(seeded, 99) / percentile(empty, 99)
        verdict = "met" if max(p50, p99) < TARGET_RATIO else "not met"
        print(
            f"ratio target {TARGET_RATIO:g}: {verdict} (staff turn seeded/empty: p50 {p50:.2f}x, "
            f"p99 {p99:.2f}x)"
        )
    else:
        print(f"ratio target {TARGET_RATIO:g}: not judged (only the {names[0]} store was run)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=10000, help="seeded reports (10000)")
    parser.add_argument("--staff", type=int, default=2000, help="generated staff (2000)")
    parser.add_argument(
        "--turns", type=int, default=1400, help="timed staff turns, in whole concerns (1400)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="untimed concerns first (3)")
    parser.add_argument(
        "--commands", type=int, default=50, help="timed 'my reports' and 'cases' commands (50)"
    )
    parser.add_argument(
        "--active-cases",
        type=int,
        default=100,
        help="seeded cases acknowledged but not closed, listed by 'cases' (100)",
    )
    parser.add_argument(
        "--store", choices=("both", "empty", "seeded"), default="both", help="which to run"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed for the seeded store")
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL for the empty store (or the only store run); default: SQLite in a "
        "temporary folder. Needs --reset-schema",
    )
    parser.add_argument(
        "--seeded-database-url",
        default="",
        help="PostgreSQL URL for the seeded store, another database: the two bots run side by "
        "side. Needs --reset-schema",
    )
    parser.add_argument(
        "--reset-schema",
        action="store_true",
        help="PostgreSQL only: DROP SCHEMA public CASCADE in each database first (destroys data)",
    )
    parser.add_argument(
        "--max-seconds", type=float, default=1800, help="give up after this long (1800)"
    )
    parser.add_argument(
        "--profile-bot",
        metavar="PREFIX",
        help="run the bot under cProfile, writing PREFIX-empty.prof and PREFIX-seeded.prof "
        "(slows it down: for finding where the time goes, not for the numbers)",
    )
    args = parser.parse_args(argv)
    if args.profile_bot:  # the bot runs in another folder
        args.profile_bot = str(Path(args.profile_bot).resolve())
    if min(args.reports, args.staff, args.warmup, args.active_cases) < 0:
        parser.error("--reports, --staff, --warmup, --active-cases must not be negative")
    if args.turns < 1 or args.commands < 1 or args.max_seconds <= 0:
        parser.error("--turns, --commands >= 1; --max-seconds > 0")
    if args.active_cases > args.reports:
        parser.error("--active-cases cannot exceed --reports")
    urls = [u for u in (args.database_url, args.seeded_database_url) if u]
    if any(make_url(u).get_backend_name() != "postgresql" for u in urls):
        parser.error("--database-url, --seeded-database-url: PostgreSQL only (SQLite gets a file)")
    if urls and not args.reset_schema:
        parser.error("a PostgreSQL store needs --reset-schema (each store starts from empty)")
    if args.reset_schema and not urls:
        parser.error("--reset-schema needs a postgresql --database-url")
    if args.store == "both" and len(urls) == 1:
        parser.error("on PostgreSQL give both --database-url and --seeded-database-url")
    if args.store == "empty" and args.seeded_database_url:
        parser.error("--seeded-database-url is for the seeded store")
    if args.store == "seeded" and args.database_url:
        parser.error("--database-url is the empty store's; use --seeded-database-url")
    if len(urls) == 2 and make_url(urls[0]) == make_url(urls[1]):
        parser.error("--database-url and --seeded-database-url must be different databases")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    outcome = run_bounded(
        lambda folder: bench(args, folder), prefix="scale-", max_seconds=args.max_seconds
    )
    if outcome is None:
        return 1
    report(args, outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
