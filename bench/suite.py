"""Every speed budget of issue 21 in one command: each scenario run several times, each run in a
process of its own, on SQLite and (with --database-url) on PostgreSQL; one table at the end.

    .venv/bin/python bench/suite.py [--runs 3] [--quick] [--only NAME ...]
                                    [--database-url postgresql+asyncpg://.../bench]

Rows: budget | database | load | measured p99 (min / median / max of the runs) | floor p99 (the
median run's floor, with its parts) | ratio (median measured / that floor) | met. A budget is
met when the median run's p99 is under it (and, for the burst, no run had an error or a
timeout).

--database-url must name a database made for the bench (its name contains "bench"): every run
starts with DROP SCHEMA public CASCADE on it.

Exit status: 0 when every run completed as scripted, 1 when one did not (its output's end is
printed), 2 for bad arguments. Timings never change the exit status.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Scenario:
    name: str  # for --only
    budget: str  # as the issue says it
    limit_ms: float
    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    load_full: str
    load_quick: str
    zero_errors: bool = False


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "turn1",
        "one person's turn p99 < 10 ms",
        10.0,
        "turn_latency.py",
        ("--users", "1", "--flows", "100", "--warmup", "5"),
        ("--users", "1", "--flows", "5", "--warmup", "1"),
        "1 user, 100 flows",
        "1 user, 5 flows",
    ),
    Scenario(
        "turn50",
        "50 people at once: turn p99 < 100 ms",
        100.0,
        "turn_latency.py",
        ("--users", "50", "--flows", "100", "--warmup", "2"),
        ("--users", "12", "--flows", "12", "--warmup", "1"),
        "50 users, 100 flows",
        "12 users, 12 flows",
    ),
    # The same budget with people as they are: each takes a second over an answer. With no
    # think time (turn50) the 50 tabs form a closed loop and the turn time is about 50 times
    # the CPU one turn costs, whatever else is done.
    Scenario(
        "turn50think",
        "50 people at once, 1 s to answer: turn p99 < 100 ms",
        100.0,
        "turn_latency.py",
        ("--users", "50", "--flows", "50", "--warmup", "2", "--think", "1"),
        ("--users", "12", "--flows", "12", "--warmup", "1", "--think", "0.2"),
        "50 users, 50 flows, 1 s think",
        "12 users, 12 flows, 0.2 s think",
    ),
    Scenario(
        "burst200",
        "200 pressing Send together: p99 < 500 ms, 0 errors",
        500.0,
        "burst.py",
        ("--people", "200"),
        ("--people", "20"),
        "200 people, 1 burst",
        "20 people, 1 burst",
        zero_errors=True,
    ),
    Scenario(
        "alert",
        "alert commit -> every notifier called p99 < 10 ms",
        10.0,
        "alert_latency.py",
        ("--reports", "200", "--warmup", "5"),
        ("--reports", "10", "--warmup", "1"),
        "200 reports, 1 reporter",
        "10 reports, 1 reporter",
    ),
    Scenario(
        "teams10",
        "Teams reply p99 < 50 ms at 10 people",
        50.0,
        "teams_reply.py",
        ("--users", "10", "--concerns", "20", "--warmup", "2", "--think", "1.5"),
        ("--users", "10", "--concerns", "10", "--warmup", "1", "--think", "0.5"),
        "10 people, 20 concerns, 1.5 s think",
        "10 people, 10 concerns, 0.5 s think",
    ),
    # The same ten as people answer (teams_reply.py --jitter): each pause half as long again or
    # half as short at random, each person starting a share of a pause after the one before.
    # With the same pause for everyone (teams10) all ten post in the same instant every 1.5 s,
    # their submits too, and the tenth waits for the CPU of nine.
    Scenario(
        "teams10jitter",
        "Teams reply p99 < 50 ms at 10 people, each pausing 0.75-2.25 s",
        50.0,
        "teams_reply.py",
        ("--users", "10", "--concerns", "20", "--warmup", "2", "--think", "1.5", "--jitter", "0.5"),
        ("--users", "10", "--concerns", "10", "--warmup", "1", "--think", "0.5", "--jitter", "0.5"),
        "10 people, 20 concerns, 1.5 s +/- 50% think",
        "10 people, 10 concerns, 0.5 s +/- 50% think",
    ),
)


@dataclass
class Run:
    figures: dict[str, float] | None  # None: the run failed
    seconds: float


def run_once(scenario: Scenario, args: argparse.Namespace, database_url: str) -> Run:
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as folder:
        out = Path(folder) / "figures.json"
        command = [
            sys.executable,
            str(BENCH / scenario.script),
            *(scenario.quick if args.quick else scenario.full),
            "--json",
            str(out),
        ]
        if database_url:
            command += ["--database-url", database_url]
            if scenario.script != "teams_reply.py":  # it resets the schema it is given itself
                command.append("--reset-schema")
        started = time.perf_counter()
        try:
            result = subprocess.run(  # noqa: S603 (this interpreter, the bench's own scripts)
                command, capture_output=True, text=True, timeout=args.max_seconds, check=False
            )
        except subprocess.TimeoutExpired:
            print(f"  FAILED: not finished within {args.max_seconds:g} s", file=sys.stderr)
            return Run(None, time.perf_counter() - started)
        seconds = time.perf_counter() - started
        if result.returncode != 0 or not out.exists():
            print(f"  FAILED (exit {result.returncode}):", file=sys.stderr)
            for line in (result.stdout[-1500:] + result.stderr[-1500:]).splitlines():
                print(f"    {line}", file=sys.stderr)
            return Run(None, seconds)
        return Run(json.loads(out.read_text(encoding="utf-8")), seconds)


@dataclass
class Row:
    scenario: Scenario
    database: str
    runs: list[Run]

    @property
    def done(self) -> list[dict[str, float]]:
        return [r.figures for r in self.runs if r.figures is not None]

    def cells(self, quick: bool) -> list[str]:
        s = self.scenario
        load = s.load_quick if quick else s.load_full
        failed = len(self.runs) - len(self.done)
        if not self.done:
            return [s.budget, self.database, load, f"FAILED ({failed} of {len(self.runs)})"] + [
                "-"
            ] * 3
        p99s = [f["p99"] for f in self.done]
        measured = f"{min(p99s):.1f} / {statistics.median(p99s):.1f} / {max(p99s):.1f} ms"
        errors = sum(int(f.get("errors", 0)) for f in self.done)
        if s.zero_errors:
            measured += f", {errors} errors"
        if failed:
            measured += f" ({failed} run(s) FAILED)"
        floor, ratio = "-", "-"
        floored = sorted(
            (f for f in self.done if f.get("floor_p99") is not None), key=lambda f: f["floor_p99"]
        )
        if floored:
            # The median run's floor (the lower middle for an even count), with its own parts.
            median = floored[(len(floored) - 1) // 2]
            floor = f"{median['floor_p99']:.2f} ms"
            if median.get("echo_p99") is not None:
                floor += f" (echo {median['echo_p99']:.2f} + commit {median['commit_p99']:.2f})"
            else:
                floor += " (commit)"
            if median["floor_p99"] > 0:
                ratio = f"{statistics.median(p99s) / median['floor_p99']:.1f}"
        met = statistics.median(p99s) < s.limit_ms and not (s.zero_errors and errors)
        return [s.budget, self.database, load, measured, floor, ratio, "met" if met else "NOT met"]


HEADER = ["budget", "database", "load", "measured p99 (min / median / max)", "floor p99", "ratio"]


def table(rows: list[Row], quick: bool) -> str:
    lines = [[*HEADER, "met"], *(row.cells(quick) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER) + 1)]

    def fmt(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([fmt(lines[0]), rule, *(fmt(line) for line in lines[1:])])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each scenario (default 3)")
    parser.add_argument("--quick", action="store_true", help="smaller loads (a smoke run)")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=[s.name for s in SCENARIOS],
        help="run only these scenarios (default: all)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help='also run on this PostgreSQL database (its name must contain "bench": it is reset)',
    )
    parser.add_argument(
        "--max-seconds", type=float, default=1200, help="give up on one run after this long"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.max_seconds <= 0:
        parser.error("--runs >= 1; --max-seconds > 0")
    if args.database_url:
        url = make_url(args.database_url)
        if url.get_backend_name() != "postgresql":
            parser.error("--database-url must be a PostgreSQL URL (SQLite always runs)")
        if "bench" not in (url.database or ""):
            parser.error(
                f"--database-url: the database {url.database!r} is reset by every run; give one "
                'made for the bench, its name containing "bench" (createdb bench)'
            )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenarios = [s for s in SCENARIOS if not args.only or s.name in args.only]
    databases = [("SQLite", "")]
    if args.database_url:
        databases.append(("PostgreSQL", args.database_url))
    rows: list[Row] = []
    started = time.perf_counter()
    for scenario in scenarios:
        for database, url in databases:
            row = Row(scenario, database, [])
            for n in range(args.runs):
                print(f"{scenario.name} on {database}, run {n + 1} of {args.runs}", file=sys.stderr)
                row.runs.append(run_once(scenario, args, url))
            rows.append(row)
    total = time.perf_counter() - started
    print(
        f"speed budgets (issue 21): {args.runs} run(s) each{', quick loads' if args.quick else ''}"
    )
    print(table(rows, args.quick))
    print(
        "floor p99: a bare aiohttp websocket echo at the scenario's concurrency + one INSERT + "
        "COMMIT on the same database (the alert and Teams rows: one commit), the median run's; "
        "ratio: median measured p99 / that floor p99"
    )
    print(f"suite: {total:.0f} s")
    return 0 if all(len(row.done) == len(row.runs) for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
