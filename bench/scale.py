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
import signal
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from common import (  # bench/ is on sys.path when run
    BenchFailure,
    percentile,
    reset_schema,
    run_bounded,
)
from scale_seed import DSL, SeedStats, seed_store, write_school  # bench/ is on sys.path
from sqlalchemy.engine import make_url
from turn_latency import (  # the same web chat client and script as the turn-latency benchmark
    SCRIPT,
    ChatClient,
    Results,
    Step,
    _asked,
    _decode,
    run_flow,
)

from bot.app import build_bot
from bot.settings import Settings

TARGET_RSS_MB = 200.0  # MB = 10^6 bytes: the stricter reading of "200 MB"
TARGET_RATIO = 1.5
START_TIMEOUT_S = 120.0  # the bot process: import, migrate, sync people, listen
STOP_TIMEOUT_S = 30.0
SETTLE_S = 2.0  # after /readyz: the scheduler's first sweep runs at start
QUIET_S = 1.0  # the DSL's tab: no frame for this long means the pushed alerts are all in
CASES = Step("menu", "action", "__cases", "menu")
MINE = Step("menu", "action", "__mine", "menu")
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
        shown = "SQLite, a file per store in a temporary folder, deleted afterwards"
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
