"""The scale benchmark's seeding (bench/scale.py): a trust's school file (the example school plus
generated staff) and --reports reports filed through the services the router uses, each with
its whole case life, so every row is one a real report makes and the event log stays one valid
hash chain. A module of its own so that scale.py holds the measuring; run scale.py, not this.

Planning and seeding take one school's part (its Router: the school, its flows, sessions,
cipher and alert desk), so bench/trust_seed.py seeds each school of a trust with them too."""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from common import (  # bench/ is on sys.path when run
    BenchFailure,
)
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from turn_latency import (  # the same web chat client and script as the turn-latency benchmark
    SCRIPT,
)

from bot.app import Bot, prepare_storage
from bot.cases import service as cases
from bot.chat.conversations import ConversationDoc
from bot.chat.router import Router
from bot.reports.service import AnswerRow, open_urgent_report, submit_report
from bot.school.config import HANDLER_ROLES, SchoolConfig
from bot.school.roles import Role
from bot.settings import PROJECT_ROOT
from dialogs.answers import options_of
from dialogs.datetimes import store_moment
from dialogs.display import summary_for
from dialogs.engine import Dialog, Reply, Turn
from dialogs.model import StepSpec
from storage.models import Conversation, Event, Outbox, Report

EXAMPLE_CONFIG = PROJECT_ROOT / "config" / "school.example.yaml"
DSL = "a.hartley@example.org"  # the example school's
TRUST_DOMAIN = "trust.example.org"
SEED_YEARS = 4  # the seeded reports are spread over this many years, ending a day ago (default)
SEED_BATCH = 1500  # seeding actions per transaction
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
    "contact_meeting": 0.05,
    "self_harm_said": 0.1,
    "child_self_harm": 0.03,
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
# The case_action flow's "What was done?" options (the bot's list of actions is that flow's).
ACTION_KEYS = tuple(
    option["value"]
    for step in yaml.safe_load(
        (PROJECT_ROOT / "dialogs" / "flows" / "case_action.yaml").read_text(encoding="utf-8")
    )["steps"]
    if step["id"] == "action"
    for option in step["options"]
)


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
    urgent_answers: dict[str, Any] | None  # the answers when the first urgent answer was given
    urgent_reasons: list[str]  # why it is urgent, as the flow said
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
        if turn.new_urgent_reasons and urgent_answers is None:
            urgent_answers = turn.answers(dialog)
    raise BenchFailure(f"seeding: {dialog.spec.id} did not reach its summary")


def plan_reports(
    router: Router,
    clock: Clock,
    *,
    reports: int,
    active: int,
    seed: int,
    years: float = SEED_YEARS,
) -> tuple[list[Planned], list[Action]]:
    """`reports` reports of the router's school, spread over `years` years ending a day ago,
    the last `active` still open; their actions (file, ack, note, action, close) in time order."""
    rng = random.Random(seed)
    school = router.school
    reporters = [p.email for p in school.people if "staff" in {str(r) for r in p.roles}]
    staff_names = [p.name for p in school.people if p.email.endswith(TRUST_DOMAIN)] or [
        p.name for p in school.people
    ]
    dialogs = {
        flow_id: Dialog(router.flows[flow_id], tz=school.tz, clock=clock) for flow_id in FLOW_SHARE
    }
    end = clock.now - timedelta(days=1)
    span = timedelta(days=365 * years)
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
            list(turn.state.urgent_reasons),
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


def dsl_of(school: SchoolConfig) -> str:
    """The school's (first) DSL: who acts on a case nobody else was alerted to."""
    leads = school.people_with(Role.DSL)
    return leads[0].email if leads else DSL


class Seeder:
    """Carries out planned actions in one school, a transaction every SEED_BATCH actions."""

    def __init__(self, router: Router, seed: int) -> None:
        self.router = router
        self.desk = router.desk
        self.dsl = dsl_of(router.school)
        self.rng = random.Random(seed + 1)
        self.live: dict[int, Report] = {}  # reports still to be acted on, by id

    async def run(self, actions: list[Action]) -> None:
        async with self.router.sessions() as session:
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
                plan = await self.desk.plan(session, report)
                who = self.rng.choice(plan.levels[0].emails) if plan.levels else self.dsl
                await cases.acknowledge(session, self.desk, report=report, email=who, now=now)
                later = now + timedelta(minutes=1)
                await cases.record_view(session, report=report, email=who, now=later)
            elif action.kind == "note":
                who = report.acknowledged_by or self.dsl
                text = " ".join(self.rng.sample(SENTENCES, 2))
                await cases.add_note(
                    session, self.desk, report=report, email=who, text=text, now=now
                )
            elif action.kind == "action":
                who = report.acknowledged_by or self.dsl
                await cases.record_action(
                    session,
                    self.desk,
                    report=report,
                    email=who,
                    action=self.rng.choice(ACTION_KEYS),
                    details=self.rng.choice(SENTENCES),
                    done_at=store_moment(now.astimezone(self.router.school.tz)),
                    now=now,
                )
            elif action.kind == "close":
                who = report.acknowledged_by or self.dsl
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
        router = self.router
        flow = router.flows[planned.flow_id].spec
        report_id = None
        if planned.urgent_answers is not None:
            opened = now - timedelta(minutes=4)
            urgent = await open_urgent_report(
                session,
                cipher=router.cipher,
                flow=flow,
                reporter_email=planned.reporter,
                channel="web",
                answers=planned.urgent_answers,
                reasons=planned.urgent_reasons[:1],
                now=opened,
            )
            await self.desk.raise_alert(session, report=urgent, now=opened)
            report_id = urgent.id
        filed = await submit_report(
            session,
            cipher=router.cipher,
            flow=flow,
            reporter_email=planned.reporter,
            channel="web",
            answers=planned.answers,
            rows=planned.rows,
            signals=planned.signals,
            urgent_reasons=planned.urgent_reasons,
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


async def add_conversations(router: Router, planned: list[Planned]) -> None:
    """Everyone who reported or handled a case has a conversation row, idle at the menu (their
    drafts are long gone, and so are their message ids: those are kept for two days)."""
    last: dict[str, tuple[datetime, int]] = {}
    for report in planned:
        _, turns = last.get(report.reporter, (report.at, 0))
        last[report.reporter] = (report.at, turns + len(SCRIPT))
    final = max((r.at for r in planned), default=datetime.now(UTC))
    for person in router.school.people_with(*HANDLER_ROLES):
        last.setdefault(person.email, (final, 0))
    async with router.sessions() as session, session.begin():
        rows = [
            Conversation(
                channel="web",
                conversation_key=email,
                user_email=email,
                version=turns,
                draft_started_at=None,
                updated_at=at,
            )
            for email, (at, turns) in last.items()
        ]
        session.add_all(rows)
        await session.flush()  # each state is sealed for its own row: the ids first
        for row in rows:
            router.cipher.seal(row, "state_enc", ConversationDoc().to_json())


async def seed_store(bot: Bot, args: argparse.Namespace) -> SeedStats:
    stats = SeedStats()
    started = time.perf_counter()
    await prepare_storage(bot)
    clock = Clock()
    planned, actions = plan_reports(
        bot.router, clock, reports=args.reports, active=args.active_cases, seed=args.seed
    )
    stats.walk_seconds = time.perf_counter() - started
    await Seeder(bot.router, args.seed).run(actions)
    await add_conversations(bot.router, planned)
    async with bot.router.sessions() as session:
        for name, model in (("reports", Report), ("events", Event), ("outbox", Outbox)):
            stats.counts[name] = int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
        open_ = select(func.count()).where(Report.case_status.in_(("open", "acknowledged")))
        stats.counts["active cases"] = int(await session.scalar(open_) or 0)
    stats.seconds = time.perf_counter() - started
    return stats
