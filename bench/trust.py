"""A trust's event logs on one PostgreSQL database: writers in many schools at once, against the
same writers in one school.

Before 0020_schools every event-writing transaction locked the one head row of the one log, so
a trust's schools would have waited on each other's writes. Each school now has its own log and
head. This measures what that buys: W writers at once, each adding T transactions to the event
log through the real code (storage.scope's school sessions and bot.record.events.record_event:
lock the school's head, append, move the head), each transaction E entries with --hold-ms of
other work after the first (a filing turn keeps the head locked until it commits).

- "one school": every writer in school 1 (one head: as every trust's writes were);
- "across schools": writer i in school i.

Then the day's seal of every school's head (bot.record.trust_seal) and its check, and each log
checked whole (bot.record.log_check.verify_log), which must hold after the concurrent writes.

    .venv/bin/python bench/trust.py --database-url postgresql+asyncpg://.../bench
        [--schools 50] [--writers 20] [--transactions 50] [--entries 2] [--hold-ms 2]

The September morning of issue 22's scale scenario (one deployment serving the trust: every
school's staff invited to the self-audit, 500 answering, 20 reporters across schools, each
budget against its figure) is `bench/trust.py september [its options]`, in
bench/trust_morning.py: one process; with `--processes`, two web replicas and a scheduler on
Teams, on a seeded store (bench/trust_processes.py). Timings never change the exit status;
1 when a log does not verify after the run (or a check of the morning fails), 2 for bad
arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from common import percentile, reset_schema  # bench/ is on sys.path when run
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.record.events import record_event
from bot.record.log_check import verify_log
from bot.record.trust_seal import seal_today, verify_seals
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import School
from storage.scope import ONE_SCHOOL, school_sessions, trust_sessions


@dataclass(frozen=True)
class Run:
    name: str
    seconds: float
    latencies: list[float]  # per transaction, ms

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def line(self) -> str:
        p50, p99 = percentile(self.latencies, 50), percentile(self.latencies, 99)
        return (
            f"{self.name:<15} {self.rate:8.0f} transactions/s   per transaction (ms): "
            f"p50 {p50:6.2f}  p99 {p99:6.2f}  max {max(self.latencies):6.2f}"
        )


async def _writer(
    engine: AsyncEngine, school_id: int, args: argparse.Namespace, out: list[float]
) -> None:
    sessions = school_sessions(engine, school_id)
    for n in range(args.transactions):
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            for entry in range(args.entries):
                await record_event(
                    session,
                    kind="bench",
                    at=datetime.now(UTC),
                    actor_email=None,
                    detail={"n": n, "entry": entry},
                )
                if entry == 0 and args.hold_ms:
                    await asyncio.sleep(args.hold_ms / 1000)
        out.append((time.perf_counter() - started) * 1000)


async def _run(engine: AsyncEngine, name: str, schools: list[int], args: argparse.Namespace) -> Run:
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(*(_writer(engine, s, args, latencies) for s in schools))
    return Run(name, time.perf_counter() - started, latencies)


async def main(args: argparse.Namespace) -> int:
    await reset_schema(args.database_url)
    engine = create_engine(args.database_url)
    try:
        await upgrade(engine)
        now = datetime.now(UTC)
        async with trust_sessions(engine)() as session, session.begin():
            for n in range(2, args.schools + 1):
                session.add(School(id=n, key=f"school-{n}", name=f"School {n}", created_at=now))
        writers = min(args.writers, args.schools)
        print(
            f"{args.schools} schools; {writers} writers at once, each {args.transactions} "
            f"transactions of {args.entries} entries, {args.hold_ms:g} ms held after the first"
        )
        one = await _run(engine, "one school", [ONE_SCHOOL] * writers, args)
        across = await _run(engine, "across schools", list(range(1, writers + 1)), args)
        print(one.line())
        print(across.line())
        print(
            f"across / one: {across.rate / one.rate:.1f}x the transactions per second, p99 "
            f"{percentile(across.latencies, 99) / percentile(one.latencies, 99):.2f}x"
        )

        started = time.perf_counter()
        async with trust_sessions(engine)() as session, session.begin():
            seal = await seal_today(session, now=datetime.now(UTC))
        sealed_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        async with trust_sessions(engine)() as session:
            check = await verify_seals(session)
        checked_ms = (time.perf_counter() - started) * 1000
        if seal is None:
            print("FAILED: the day was sealed already, on a schema just reset", file=sys.stderr)
            return 1
        print(
            f"the day's seal of {len(seal.heads)} heads: {sealed_ms:.1f} ms; its check against "
            f"every log: {checked_ms:.1f} ms ({'ok' if check.ok else 'NOT ok'})"
        )
        broken = []
        started = time.perf_counter()
        for school_id in range(1, writers + 1):
            async with school_sessions(engine, school_id)() as session:
                log = await verify_log(session)
            if not log.ok:
                broken.append(f"school {school_id}: {log.reason}")
        print(
            f"every written log checked whole: {(time.perf_counter() - started) * 1000:.0f} ms, "
            f"{'all intact' if not broken else 'BROKEN: ' + '; '.join(broken)}"
        )
        return 1 if broken or not check.ok else 0
    finally:
        await engine.dispose()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL (its schema is reset)")
    parser.add_argument("--schools", type=int, default=50)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--transactions", type=int, default=50, help="per writer")
    parser.add_argument("--entries", type=int, default=2, help="per transaction")
    parser.add_argument("--hold-ms", type=float, default=2.0, help="work after the first entry")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be PostgreSQL: SQLite serialises every writer anyway")
    name = make_url(args.database_url).database or ""
    # Its schema is dropped: a database made for the bench (as bench/suite.py asks), or one of
    # the test suite's own private databases.
    if "bench" not in name and not name.startswith("osb_test_"):
        parser.error(
            "--database-url must name a database made for the bench (its name "
            'contains "bench": createdb bench): its schema is reset'
        )
    if min(args.schools, args.writers, args.transactions, args.entries) < 1:
        parser.error("--schools, --writers, --transactions and --entries must be at least 1")
    return args


if __name__ == "__main__":
    if sys.argv[1:2] == ["september"] and "--processes" in sys.argv:
        from trust_processes import main as in_processes

        sys.exit(in_processes([a for a in sys.argv[2:] if a != "--processes"]))
    if sys.argv[1:2] == ["september"]:
        from trust_morning import main as september

        sys.exit(september(sys.argv[2:]))
    sys.exit(asyncio.run(main(parse())))
