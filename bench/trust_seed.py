"""A trust's store, seeded (issue 22): R reports spread evenly over every school of a trust file,
each school's in its own records, as the trust benchmark needs them (200,000 reports, ten
years, fifty schools).

Each school is seeded as bench/scale.py seeds its one school (bench/scale_seed.py): every
report's answers walked through the real flows, filed through the services the router uses
(submit_report, AlertDesk.raise_alert), then acknowledged, noted, acted on and closed at
realistic later times, its outbox rows marked sent, and a conversation row for everyone who
reported or handles cases. So every row is one a real report makes, and each school's event
log is its own valid hash chain: each school is checked with `verify-log --school KEY`'s own
function (bot/record/verify_command.py) once seeded.

The school parts are the trust's own deployment's (bot.app.build_bot with TRUST_CONFIG, then
prepare_storage), every school under one encryption key, the one the trust's processes then
read them with. Schools are seeded in parallel, one at a time in each of several worker
processes (each builds the trust's parts once); the process seeding a school is the only one
writing its event log, so the schools never wait for one another's.

    .venv/bin/python bench/trust_seed.py --database-url URL [--schools 50] [--staff 5000]
        [--reports 200000] [--years 10] [--workers N] [--reset-schema]

From another benchmark: `figures = await seed_trust(url, trust_file, 200_000)`, then give the
trust's bot `Settings(encryption_key=figures.encryption_key, ...)`.

Exit status: 0 when every school was seeded with its share and its log verifies, 1 when not
(said), 2 for bad arguments. Timings never change the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import multiprocessing
import multiprocessing.util
import os
import queue
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import BenchFailure, reset_schema  # bench/ is on sys.path when run
from cryptography.fernet import Fernet
from scale_seed import Action, Clock, Seeder, add_conversations, plan_reports
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from trust_morning import write_trust

from bot.app import Bot, build_bot, prepare_storage
from bot.chat.router import Router
from bot.record.verify_command import verify_logs
from bot.server import event_loop
from bot.settings import Settings
from storage.models import Base

YEARS = 10
ACTIVE = 10  # each school's most recent cases, acknowledged and not yet closed
PROGRESS_EVERY = 200  # a worker says how far it is every this many reports filed
PROGRESS_SECONDS = 15.0  # how often the progress line is printed


@dataclass(frozen=True)
class Setup:
    """What every worker needs to build the same trust's parts (picklable)."""

    database_url: str
    trust_file: str
    encryption_key: str
    data_dir: str


@dataclass
class SchoolSeeded:
    """One school, seeded: in its worker process."""

    key: str
    reports: int  # asked of it (its share)
    filed: int  # rows in `reports` (a possibly illegal filtering report files a linked one)
    walk_seconds: float  # answering the flows
    seed_seconds: float  # filing and the cases' lives, through the services
    verify_seconds: float
    verify_status: int  # verify_logs' exit status: 0 intact
    verify_output: str
    pid: int


@dataclass
class SeedFigures:
    schools: int
    reports: int  # asked
    years: float
    workers: int
    encryption_key: str  # every school's: give it to the trust's bot (ENCRYPTION_KEY)
    prepare_seconds: float = 0.0  # migrate, each school's row and people (prepare_storage)
    seed_seconds: float = 0.0  # every school seeded and verified, in parallel
    seconds: float = 0.0  # the whole of seed_trust
    counts: dict[str, int] = field(default_factory=dict)  # rows, by table (every school)
    reports_by_school: dict[str, int] = field(default_factory=dict)
    seeded: list[SchoolSeeded] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def filed(self) -> int:
        return sum(self.reports_by_school.values())

    @property
    def rate(self) -> float:
        """Reports seeded a second, over the parallel part."""
        return self.filed / self.seed_seconds if self.seed_seconds else 0.0


def shares(reports: int, keys: list[str]) -> dict[str, int]:
    """`reports` spread evenly over the schools: the first few take one more when it does not
    divide."""
    return {
        key: reports // len(keys) + (1 if n < reports % len(keys) else 0)
        for n, key in enumerate(keys)
    }


def settings_for(setup: Setup) -> Settings:
    return Settings(
        database_url=setup.database_url,
        trust_config=Path(setup.trust_file),
        data_dir=Path(setup.data_dir),
        encryption_key=setup.encryption_key,
        flows_dir=None,
        web_chat_enabled=True,  # a trust's deployment serves the web chat
        database_pool_size=2,
        database_pool_overflow=2,
    )


async def seed_trust(
    database_url: str,
    trust_file: Path,
    reports: int,
    *,
    seed: int = 1,
    years: float = YEARS,
    active: int = ACTIVE,
    workers: int | None = None,
    encryption_key: str | None = None,
) -> SeedFigures:
    """Seed `reports` reports, spread evenly over the schools of `trust_file` (each school's
    in its own records, over `years` years ending a day ago, its last `active` still open),
    into the PostgreSQL database at `database_url` (migrated first; what is there stays, and
    each school's log goes on from its head). `workers` processes seed the schools, one school
    at a time each (default: one more than the machine's cores). Every school is sealed under
    `encryption_key` (default: a new key, in the figures). Progress goes to stderr; a school
    whose seeding or log check fails is in the figures' `errors`."""
    if not database_url.startswith("postgresql"):
        raise BenchFailure("seed_trust seeds a PostgreSQL database (its schools at once)")
    started = time.perf_counter()
    key = encryption_key or Fernet.generate_key().decode()
    workers = workers or (os.cpu_count() or 1) + 1
    with tempfile.TemporaryDirectory(prefix="trust-seed-") as data_dir:
        setup = Setup(database_url, str(trust_file), key, data_dir)
        bot = build_bot(settings_for(setup))
        try:
            await prepare_storage(bot)  # once, so the schools' rows are made in the file's order
            keys = list(bot.parts)
            figures = SeedFigures(len(keys), reports, years, min(workers, len(keys)), key)
            figures.prepare_seconds = time.perf_counter() - started
            _say(
                f"trust seed: {reports} reports over {len(keys)} schools, {years:g} years, "
                f"{figures.workers} worker processes (prepared in {figures.prepare_seconds:.1f} s)"
            )
            parallel = time.perf_counter()
            asked = shares(reports, keys)
            figures.seeded = await _in_workers(setup, asked, seed, years, active, figures)
            figures.seed_seconds = time.perf_counter() - parallel
            await _count(bot.engine, figures, asked)
        finally:
            await bot.engine.dispose()
    for school in figures.seeded:
        if school.verify_status != 0:
            figures.errors.append(
                f"{school.key}: verify-log exited {school.verify_status}: {school.verify_output}"
            )
    for school in figures.seeded:
        if school.filed < asked[school.key]:
            figures.errors.append(
                f"{school.key}: {school.filed} reports filed of its {asked[school.key]}"
            )
    figures.seconds = time.perf_counter() - started
    return figures


async def _in_workers(
    setup: Setup,
    asked: dict[str, int],
    seed: int,
    years: float,
    active: int,
    figures: SeedFigures,
) -> list[SchoolSeeded]:
    """Each school in a worker process, as many at once as there are workers; their progress
    (reports filed) read from a queue meanwhile."""
    context = multiprocessing.get_context("spawn")  # nothing of this process's loop or engine
    progress: multiprocessing.Queue[tuple[str, int]] = context.Queue()
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(
        figures.workers, mp_context=context, initializer=_worker_start, initargs=(setup, progress)
    ) as pool:
        tasks = [
            loop.run_in_executor(
                pool, _seed_in_worker, key, share, seed * 1000 + 2 * n, years, active
            )
            for n, (key, share) in enumerate(asked.items())
        ]
        watching = asyncio.create_task(_watch(progress, sum(asked.values()), tasks))
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
    seeded = []
    for key, outcome in zip(asked, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            figures.errors.append(f"{key}: seeding failed: {outcome!r}")
        else:
            seeded.append(outcome)
    return seeded


async def _watch(
    progress: multiprocessing.Queue[tuple[str, int]],
    total: int,
    tasks: list[asyncio.Future[SchoolSeeded]],
) -> None:
    """Every few seconds, on stderr: reports filed so far, the rate, schools done."""
    started = time.perf_counter()
    filed: dict[str, int] = {}
    said = started
    while True:
        await asyncio.sleep(0.5)
        with contextlib.suppress(queue.Empty):
            while True:
                school, count = progress.get_nowait()
                filed[school] = count
        now = time.perf_counter()
        if now - said >= PROGRESS_SECONDS:
            said = now
            done = sum(filed.values())
            rate = done / (now - started)
            left = (total - done) / rate if rate else 0.0
            finished = sum(task.done() for task in tasks)
            _say(
                f"  {done:>7} of {total} reports filed, {now - started:6.0f} s, "
                f"{rate:5.0f} reports/s, about {left:4.0f} s to go; "
                f"{finished} of {len(tasks)} schools done"
            )


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --- in each worker process


_WORKER: dict[str, Any] = {}  # its trust bot, event loop and progress queue


def _worker_start(setup: Setup, progress: multiprocessing.Queue[tuple[str, int]]) -> None:
    runner = asyncio.Runner(loop_factory=event_loop)  # the loop the bot serves on (uvloop)
    bot = build_bot(settings_for(setup))
    runner.run(prepare_storage(bot))  # finds the schools' rows (made by seed_trust)
    _WORKER.update(runner=runner, bot=bot, progress=progress, where=_safe(setup.database_url))
    # A pool's worker leaves by os._exit, past atexit: its connections closed as it goes.
    multiprocessing.util.Finalize(None, _worker_stop, exitpriority=10)


def _worker_stop() -> None:
    runner: asyncio.Runner = _WORKER["runner"]
    runner.run(_WORKER["bot"].engine.dispose())
    runner.close()


def _seed_in_worker(key: str, reports: int, seed: int, years: float, active: int) -> SchoolSeeded:
    runner: asyncio.Runner = _WORKER["runner"]
    return runner.run(
        seed_school(_WORKER["bot"], key, reports, seed=seed, years=years, active=active)
    )


class CountingSeeder(Seeder):
    """scale_seed's Seeder, saying every PROGRESS_EVERY reports filed how many so far."""

    def __init__(self, router: Router, seed: int, key: str) -> None:
        super().__init__(router, seed)
        self.key = key
        self.filed = 0

    async def act(self, session: AsyncSession, action: Action) -> None:
        await super().act(session, action)
        if action.kind == "file":
            self.filed += 1
            if self.filed % PROGRESS_EVERY == 0 and "progress" in _WORKER:
                _WORKER["progress"].put((self.key, self.filed))


async def seed_school(
    bot: Bot, key: str, reports: int, *, seed: int, years: float, active: int
) -> SchoolSeeded:
    """One school of the trust's bot: `reports` reports planned (the flows walked), seeded
    through its services, a conversation row for each person; then its log checked."""
    router = bot.parts[key].router
    started = time.perf_counter()
    clock = Clock()
    planned, actions = plan_reports(
        router, clock, reports=reports, active=min(active, reports), seed=seed, years=years
    )
    walked = time.perf_counter()
    seeder = CountingSeeder(router, seed, key)
    await seeder.run(actions)
    await add_conversations(router, planned)
    if "progress" in _WORKER:
        _WORKER["progress"].put((key, seeder.filed))
    seeded = time.perf_counter()
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        status = await verify_logs(bot.engine, _WORKER.get("where", "the database"), school=key)
    filed = sum(len(p.filed) for p in planned)
    return SchoolSeeded(
        key,
        reports,
        filed,
        walked - started,
        seeded - walked,
        time.perf_counter() - seeded,
        status,
        output.getvalue().strip(),
        os.getpid(),
    )


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# --- the counts


async def _count(engine: AsyncEngine, figures: SeedFigures, asked: dict[str, int]) -> None:
    async with engine.connect() as connection:
        for table in sorted(Base.metadata.tables):
            count = await connection.scalar(text(f'SELECT count(*) FROM "{table}"'))  # noqa: S608
            figures.counts[table] = int(count or 0)
        by_school = await connection.execute(
            text(
                "SELECT s.key, count(r.id) FROM schools s LEFT JOIN reports r "
                "ON r.school_id = s.id GROUP BY s.key ORDER BY s.key"
            )
        )
        keys = set(asked)
        figures.reports_by_school = {key: int(n) for key, n in by_school if key in keys}


# --- run alone


def report(args: argparse.Namespace, figures: SeedFigures) -> None:
    print(
        f"trust seed: {figures.filed} reports ({args.reports} asked) over {figures.schools} "
        f"schools, {args.staff} staff, {figures.years:g} years, {figures.workers} workers"
    )
    print(f"  prepared (migrate, schools, people) {figures.prepare_seconds:8.1f} s")
    print(
        f"  seeded and verified, in parallel    {figures.seed_seconds:8.1f} s "
        f"({figures.rate:.0f} reports/s)"
    )
    print(f"  whole                               {figures.seconds:8.1f} s")
    if figures.seeded:
        walk = sum(s.walk_seconds for s in figures.seeded)
        seeding = sum(s.seed_seconds for s in figures.seeded)
        verify = sum(s.verify_seconds for s in figures.seeded)
        print(
            f"  in the workers, summed: flows walked {walk:.0f} s, filed and cases lived "
            f"{seeding:.0f} s, logs verified {verify:.0f} s"
        )
    counts = figures.reports_by_school.values()
    if counts:
        print(f"  reports a school                    {min(counts)} to {max(counts)}")
    intact = sum(s.verify_status == 0 for s in figures.seeded)
    print(f"  verify-log --school KEY             {intact} of {figures.schools} schools intact")
    if figures.seeded:
        print(f"    e.g. {figures.seeded[0].verify_output.splitlines()[0]}")
    print("  rows by table:")
    for table, count in figures.counts.items():
        if count:
            print(f"    {table:<32} {count:>10,}")
    print(f"  errors                              {len(figures.errors)}")
    for error in figures.errors[:20]:
        print(f"    {error}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database")
    parser.add_argument("--schools", type=int, default=50)
    parser.add_argument("--staff", type=int, default=5000, help="shared between the schools")
    parser.add_argument("--reports", type=int, default=200_000, help="shared between the schools")
    parser.add_argument("--years", type=float, default=YEARS)
    parser.add_argument(
        "--active", type=int, default=ACTIVE, help="open cases a school (its most recent)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=0, help="processes (default: cores + 1)")
    parser.add_argument(
        "--reset-schema",
        action="store_true",
        help="DROP SCHEMA public CASCADE first: deletes everything in the database",
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url: a PostgreSQL database (postgresql+asyncpg://...)")
    if args.schools < 1 or args.staff < args.schools or args.reports < args.schools:
        parser.error("at least one school, one member of staff and one report a school")
    if args.years <= 0 or args.active < 0 or args.workers < 0:
        parser.error("--years above 0, --active and --workers not below 0")
    return args


async def run(args: argparse.Namespace, folder: Path) -> SeedFigures:
    if args.reset_schema:
        await reset_schema(args.database_url)
    trust_file, _schools = write_trust(folder, args.schools, args.staff)
    return await seed_trust(
        args.database_url,
        trust_file,
        args.reports,
        seed=args.seed,
        years=args.years,
        active=args.active,
        workers=args.workers or None,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="trust-seed-files-") as folder:
        try:
            with asyncio.Runner(loop_factory=event_loop) as runner:
                figures = runner.run(run(args, Path(folder)))
        except BenchFailure as failure:
            print(f"FAILED: {failure}", file=sys.stderr)
            return 1
    report(args, figures)
    return 1 if figures.errors else 0


if __name__ == "__main__":
    sys.exit(main())
