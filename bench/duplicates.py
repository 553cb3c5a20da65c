"""Duplicates and losses under load: the multi-process scenario of tests/test_multiprocess.py
(two web processes, two schedulers, one PostgreSQL, the leader killed with SIGKILL right after
the headteacher's alert reaches Slack) run N times while busy loops keep the CPUs loaded.

Prints one line a run and the totals: how many outbox rows reached Slack more than once
(duplicates) and how many alerts due before the end never did (losses). Exit status 0 when both
are 0 in every run, 1 otherwise (or when a run went off script), 2 for bad arguments.

    .venv/bin/python bench/duplicates.py                       # 20 runs, 2 busy loops
    .venv/bin/python bench/duplicates.py --runs 5 --busy 4
    .venv/bin/python bench/duplicates.py --database-url postgresql+asyncpg://postgres@host/db

It makes a private database on the server of --database-url (TEST_DATABASE_URL, or
PostgreSQL on 127.0.0.1 by default) and drops it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.databases import (
    create_private_database,
    drop_private_database,
    postgres_url,
    reset_postgres,
)
from tests.support.multiprocess import fake_slack, run_scenario, started

BUSY = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


def busy_loops(count: int, seconds: float) -> list[subprocess.Popen[bytes]]:
    """CPU-bound loops that end by themselves after `seconds`, whatever happens to this one."""
    code = BUSY.format(seconds=seconds)
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]  # noqa: S603


async def one_run(number: int, database_url: str) -> tuple[int, int, bool]:
    await reset_postgres(database_url)
    started_at = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="osb-duplicates-") as folder:
        try:
            async with (
                fake_slack() as (api, slack_url),
                started(Path(folder), database_url, slack_url) as processes,
            ):
                outcome = await run_scenario(api, processes, database_url)
        except AssertionError as failure:
            first_line = str(failure).splitlines()[0] if str(failure) else repr(failure)
            print(f"run {number:2d}: FAILED ({time.monotonic() - started_at:.0f} s): {first_line}")
            return 0, 0, False
    seconds = time.monotonic() - started_at
    print(
        f"run {number:2d}: {outcome.duplicates} duplicate(s), {outcome.losses} loss(es), "
        f"{outcome.looks} look(s) before a resend, take-over {outcome.took_over:.1f} s, "
        f"{seconds:.0f} s" + (f"  {'; '.join(outcome.problems)}" if outcome.problems else ""),
        flush=True,
    )
    return outcome.duplicates, outcome.losses, True


async def main(runs: int, busy: int, base: str) -> int:
    database_url = await create_private_database(base)
    loops = busy_loops(busy, seconds=runs * 240.0)
    duplicates = losses = failed = 0
    try:
        for number in range(1, runs + 1):
            found, lost, ok = await one_run(number, database_url)
            duplicates, losses, failed = duplicates + found, losses + lost, failed + (not ok)
    finally:
        for loop in loops:
            loop.terminate()
            loop.wait(timeout=10)
        await drop_private_database(base, database_url)
    print(
        f"{runs} run(s) under {busy} busy loop(s): {duplicates} duplicate(s), {losses} loss(es), "
        f"{failed} run(s) off script"
    )
    return 0 if duplicates == losses == failed == 0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="how many runs (default 20)")
    parser.add_argument("--busy", type=int, default=2, help="CPU-bound loops (default 2)")
    parser.add_argument("--database-url", default=postgres_url(), help="a PostgreSQL server")
    args = parser.parse_args()
    if args.runs < 1 or args.busy < 0:
        parser.error("--runs must be at least 1 and --busy at least 0")
    sys.exit(asyncio.run(main(args.runs, args.busy, args.database_url)))
