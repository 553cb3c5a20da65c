"""A term of escalations: a few hundred reports at realistic hours through the real router, the
scheduler's alert sweep and the dispatcher, on a clock that jumps from one due second to the next.

The autumn term of the example school (with a rota, so that out-of-hours reports follow its
out-of-hours plan): most reports in school hours, some in the evening, at weekends and in the
half-term holiday, a tenth of them urgent. Each is filed through the router (the whole concern
flow, as a member of staff types it), acknowledged by the DSL's Acknowledge button some minutes
later (a few of them hours later), then closed. The sweep the scheduler runs
(`bot.cases.scheduled.sweep_alerts`: escalations, nothing-done reminders, cover expiry, then
the outbox) is run a second before and at every moment a level falls due, and a second after
each acknowledgement, as a scheduler ticking each second would; the seconds between, where
nothing can fall due, are skipped. Each level's due moment is worked out here from the school
file's `alerts:` (not by the bot's plan code), and the outbox and event rows are read back:

- on time: each level due before the acknowledgement is raised at its due second (lateness is
  the first row's time minus that second; a negative one is early);
- none twice: one `escalated` event per case and level, one outbox row per person, channel and
  level, one delivery per row; nothing raised at or after the acknowledgement.

    .venv/bin/python bench/term_scheduler.py                  # 300 reports on SQLite
    .venv/bin/python bench/term_scheduler.py --reports 50 --seed 7
    .venv/bin/python bench/term_scheduler.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

SQLite always; PostgreSQL too when --database-url or TEST_DATABASE_URL names a server (a
private database is made there and dropped at the end). Exit status: 0 when every level was on
time and none twice, 1 otherwise (or off script, or past --max-seconds), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zoneinfo import ZoneInfo

import yaml
from common import BenchFailure, percentile, run_bounded  # bench/ is on sys.path when run
from sqlalchemy import select

from bot.app import Bot, build_bot, prepare_storage
from bot.cases.scheduled import sweep_alerts
from bot.cases.service import close_case
from bot.delivery.notifier import Delivery
from bot.settings import PROJECT_ROOT, Settings
from storage.models import Event, Outbox, Report
from tests.support.clock import FakeClock
from tests.support.databases import create_private_database, drop_private_database
from tests.support.harness import Chat
from tests.support.walk import CONCERN_TAIL, start, walk_to_summary

CHANNEL = "bench"
LONDON = ZoneInfo("Europe/London")
DSL = "a.hartley@example.org"
STAFF = ("t.brannigan@example.org", "s.nakamura@example.org", "l.petrakis@example.org")
TERM = (date(2026, 9, 3), date(2026, 12, 18))  # the autumn term after its INSET days
HALF_TERM = (date(2026, 10, 24), date(2026, 11, 1))
ROTA = {
    "weekdays": {
        "mon": DSL,
        "tue": "d.osei@example.org",
        "wed": DSL,
        "thu": "p.lindqvist@example.org",
        "fri": "d.osei@example.org",
    },
    "out_of_hours": {"people": ["m.fenwick@example.org", DSL]},
}


@dataclass
class Planned:
    """One simulated report: when it is filed, acknowledged and closed, and its levels' dues."""

    filed: datetime
    kind: str
    urgent: bool
    acknowledged: datetime
    closed: datetime
    dues: list[datetime]  # level 0, 1, ... up to the first due at or after the acknowledgement
    report_id: int = 0


class Recorder:
    """The bench channel: takes every delivery at once and counts them per outbox row."""

    channel = CHANNEL

    def __init__(self) -> None:
        self.per_row: Counter[int] = Counter()

    async def deliver(self, delivery: Delivery) -> str | None:
        self.per_row[delivery.row_id or 0] += 1
        return f"bench-{delivery.row_id}"


def _moment(rng: random.Random) -> tuple[datetime, str]:
    """A report's moment and its kind: 75% in school hours, 12% on a weekday evening, 8% at a
    weekend, 5% in the half-term holiday (the last two between 08:00 and 21:00)."""
    roll = rng.random()
    kind = "school hours" if roll < 0.75 else "evening" if roll < 0.87 else "weekend"
    kind = "half term" if roll >= 0.95 else kind
    while True:
        day = TERM[0] + timedelta(days=rng.randrange((TERM[1] - TERM[0]).days + 1))
        in_half_term = HALF_TERM[0] <= day <= HALF_TERM[1]
        if kind == "half term":
            if in_half_term:
                break
        elif not in_half_term and (day.weekday() >= 5) == (kind == "weekend"):
            break
    hours = {"school hours": (8.0, 8.5), "evening": (16.5, 5.5)}.get(kind, (8.0, 13.0))
    seconds = int((hours[0] + rng.random() * hours[1]) * 3600)
    local = datetime.combine(day, datetime.min.time(), LONDON) + timedelta(seconds=seconds)
    return local.astimezone(UTC), kind


def _dues(plan: dict[str, Any], until: datetime, filed: datetime) -> list[datetime]:
    """Each level's due moment, from the school file's levels and repeat, up to `until`."""
    afters = [timedelta(minutes=level["after_minutes"]) for level in plan["levels"]]
    repeat = timedelta(minutes=plan["repeat_every_minutes"])
    dues: list[datetime] = []
    level = 0
    while True:
        extra = level - (len(afters) - 1)
        after = afters[level] if extra <= 0 else afters[-1] + extra * repeat
        dues.append(filed + after)
        if dues[-1] >= until:
            return dues
        level += 1


def _plans(count: int, seed: int, alerts: dict[str, Any]) -> list[Planned]:
    rng = random.Random(seed)
    planned = []
    for _ in range(count):
        filed, kind = _moment(rng)
        urgent = rng.random() < 0.1
        # Most within the first level, some after a level or two, a few hours later.
        window = rng.choices([(0.5, 9.0), (9.0, 45.0), (45.0, 240.0)], weights=[6, 3, 1])[0]
        minutes = rng.uniform(*window)
        seconds = int(minutes * 60) | 1  # odd: never on a due second (they are whole minutes)
        acknowledged = filed + timedelta(seconds=seconds)
        closed = acknowledged + timedelta(minutes=rng.randint(5, 90))
        plan = alerts["urgent" if urgent else "normal"]
        planned.append(
            Planned(filed, kind, urgent, acknowledged, closed, _dues(plan, acknowledged, filed))
        )
    planned.sort(key=lambda p: p.filed)
    return planned


def _school_file(folder: Path) -> tuple[Path, dict[str, Any]]:
    data = yaml.safe_load((PROJECT_ROOT / "config" / "school.example.yaml").read_text())
    data["rota"] = ROTA
    written = folder / "school.yaml"
    written.write_text(yaml.safe_dump(data))
    return written, data["alerts"]


async def _file(bot: Bot, planned: Planned, reporter: str) -> int:
    chat = Chat(bot, reporter, channel=CHANNEL)  # so their receipt comes on it too
    await start(chat, "concern")
    danger = "yes" if planned.urgent else "no"
    answers = {"immediate_danger": danger, "category": "commerce", "commerce_kind": "scam"}
    await walk_to_summary(chat, {**answers, **CONCERN_TAIL})
    await chat.click("__submit")
    async with bot.router.sessions() as session:
        newest = await session.scalar(select(Report).order_by(Report.id.desc()).limit(1))
    if newest is None or newest.alerted_at != planned.filed:
        raise BenchFailure("a report was not filed (or not alerted) at its moment")
    return newest.id


def _timeline(plans: list[Planned]) -> Iterator[tuple[datetime, int, int, str]]:
    """(moment, order, report index, what) for every step: filings, then acknowledgements and
    closes, then sweeps, at any one moment."""
    for index, planned in enumerate(plans):
        yield planned.filed, 0, index, "file"
        yield planned.acknowledged, 1, index, "ack"
        yield planned.closed, 1, index, "close"
        for due in planned.dues[1:]:
            for second in (-1, 0):  # early would show at -1; twice at the next one
                yield due + timedelta(seconds=second), 2, -1, "sweep"
        yield planned.acknowledged + timedelta(seconds=1), 2, -1, "sweep"


async def simulate(folder: Path, url: str, plans: list[Planned], school: Path) -> dict[str, Any]:
    clock = FakeClock(plans[0].filed)
    settings = Settings(
        data_dir=folder / "data", database_url=url, school_config=school, web_chat_enabled=False
    )
    recorder = Recorder()
    bot = build_bot(settings, clock=clock, notifiers={CHANNEL: recorder})
    await prepare_storage(bot)
    sweeps: list[float] = []
    started = time.perf_counter()
    try:
        seen_sweeps: set[datetime] = set()
        for moment, _, index, what in sorted(set(_timeline(plans))):
            clock.now = moment
            if what == "file":
                plans[index].report_id = await _file(bot, plans[index], STAFF[index % len(STAFF)])
                await bot.dispatcher.deliver_due()
            elif what == "ack":
                await Chat(bot, DSL, channel=CHANNEL).click(
                    f"case:ack:{plans[index].report_id}", token=None
                )
            elif what == "close":
                await _close(bot, plans[index].report_id, moment)
            elif moment not in seen_sweeps:
                seen_sweeps.add(moment)
                began = time.perf_counter()
                await sweep_alerts(bot.jobs)
                sweeps.append(time.perf_counter() - began)
        wall = time.perf_counter() - started
        async with bot.router.sessions() as session:
            rows = list(await session.scalars(select(Outbox).where(Outbox.kind == "alert")))
            events = list(await session.scalars(select(Event).where(Event.kind == "escalated")))
    finally:
        await bot.engine.dispose()
    return _check(plans, rows, events, recorder) | {"sweeps": sweeps, "wall": wall}


async def _close(bot: Bot, report_id: int, now: datetime) -> None:
    async with bot.router.sessions() as session, session.begin():
        report = await session.get(Report, report_id)
        assert report is not None
        await close_case(
            session,
            bot.router.desk,
            report=report,
            email=DSL,
            decision="no_further_action",
            outcome="Advice given.",
            reasons="Handled in school.",
            criteria=[],
            now=now,
        )


def _check(
    plans: list[Planned], rows: list[Outbox], events: list[Event], recorder: Recorder
) -> dict[str, Any]:
    """Lateness of every level due before its acknowledgement, and everything raised twice,
    early, after the acknowledgement, or never."""
    first: dict[tuple[int, int], datetime] = {}
    per_person: Counter[tuple[int | None, str, str, int]] = Counter()
    for row in rows:
        key = (row.report_id or 0, row.level)
        first[key] = min(first.get(key, row.created_at), row.created_at)
        per_person[(row.report_id, row.recipient_email, row.channel, row.level)] += 1
    escalated = Counter((e.report_id, int((e.detail or {})["level"])) for e in events)
    lateness: list[float] = []
    missing = early = after_ack = 0
    for planned in plans:
        for level, due in enumerate(planned.dues):
            raised = first.get((planned.report_id, level))
            if due >= planned.acknowledged:
                after_ack += raised is not None
                continue
            if raised is None:
                missing += 1
                continue
            late = (raised - due).total_seconds()
            early += late < 0
            lateness.append(late)
    return {
        "lateness": lateness,
        "levels": sum(1 for late in lateness) - len(plans),  # those after the first alert
        "rows": len(rows),
        "missing": missing,
        "early": early,
        "after_ack": after_ack,
        "twice_events": sum(n - 1 for n in escalated.values() if n > 1),
        "twice_rows": sum(n - 1 for n in per_person.values() if n > 1),
        "twice_delivered": sum(n - 1 for n in recorder.per_row.values() if n > 1),
        "undelivered": sum(1 for row in rows if recorder.per_row[row.id] == 0),
    }


def _report(name: str, plans: list[Planned], found: dict[str, Any]) -> bool:
    kinds = Counter(p.kind for p in plans)
    lateness, sweeps = found["lateness"], [s * 1000 for s in found["sweeps"]]
    problems = sum(
        found[k]
        for k in (
            "missing",
            "early",
            "after_ack",
            "twice_events",
            "twice_rows",
            "twice_delivered",
            "undelivered",
        )
    )
    print(f"database: {name}")
    print(
        f"reports: {len(plans)} ({', '.join(f'{n} {k}' for k, n in kinds.most_common())}; "
        f"{sum(p.urgent for p in plans)} urgent), {TERM[0]:%d %b} to {TERM[1]:%d %b %Y}"
    )
    print(
        f"escalations: {found['levels']} level(s) raised after the first alert, "
        f"{found['rows']} alert row(s), most levels for one case "
        f"{max(len([d for d in p.dues if d < p.acknowledged]) for p in plans) - 1}"
    )
    print(
        f"lateness (s): max {max(lateness):.0f}  p50 {percentile(lateness, 50):.0f}  "
        f"p99 {percentile(lateness, 99):.0f}  early {found['early']}  missing {found['missing']}"
    )
    print(
        f"twice: {found['twice_events']} event(s), {found['twice_rows']} row(s), "
        f"{found['twice_delivered']} delivery(ies); raised after acknowledgement "
        f"{found['after_ack']}; undelivered {found['undelivered']}"
    )
    print(
        f"sweeps: {len(sweeps)}  ms p50 {percentile(sweeps, 50):.1f}  p90 "
        f"{percentile(sweeps, 90):.1f}  p99 {percentile(sweeps, 99):.1f}  max {max(sweeps):.1f}"
    )
    print(f"wall time: {found['wall']:.1f} s (filing, acknowledging, closing and sweeping)")
    print(
        f"result: {'every level on time to the second, none twice' if not problems else 'FAILED'}"
    )
    return not problems


async def _on_postgres(
    folder: Path, base: str, plans: list[Planned], school: Path
) -> dict[str, Any]:
    url = await create_private_database(base)
    try:
        return await simulate(folder, url, plans, school)
    finally:
        await drop_private_database(base, url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=300, help="reports in the term (300)")
    parser.add_argument("--seed", type=int, default=2026, help="the random seed (2026)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL", ""),
        help="a PostgreSQL server to run on too (TEST_DATABASE_URL)",
    )
    parser.add_argument("--max-seconds", type=float, default=600, help="give up after (600)")
    args = parser.parse_args()
    logging.getLogger("bot").setLevel(logging.ERROR)  # not a line per urgent report
    if args.reports < 1:
        parser.error("--reports must be at least 1")
    ok = True
    runs = [("SQLite in a temporary folder", "")]
    if args.database_url:
        runs.append(("PostgreSQL (a private database, dropped afterwards)", args.database_url))
    print(f"term scheduler: {args.reports} reports, seed {args.seed}, clock jumping due to due")
    for name, url in runs:

        async def bench(folder: Path, url: str = url) -> dict[str, Any]:
            school, alerts = _school_file(folder)
            plans = _plans(args.reports, args.seed, alerts)
            found = await (
                _on_postgres(folder, url, plans, school)
                if url
                else simulate(folder, "", plans, school)
            )
            return {"plans": plans, **found}

        found = run_bounded(bench, prefix="osb-term-", max_seconds=args.max_seconds)
        if found is None:
            return 1
        ok = _report(name, found.pop("plans"), found) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
