"""The speed-budget suite (`make bench-all`, bench/suite.py) still runs every scenario and prints
every budget with its floor. This checks that it runs and what it prints, never a time (the
times are the bench's): the quick loads, one run each, SQLite only."""

from __future__ import annotations

import re
import subprocess
import sys

from bot.settings import PROJECT_ROOT

BUDGETS = (
    "one person's turn p99 < 10 ms",
    "50 people at once: turn p99 < 100 ms",
    "200 pressing Send together: p99 < 500 ms, 0 errors",
    "alert commit -> every notifier called p99 < 10 ms",
    "Teams reply p99 < 50 ms at 10 people",
    "Teams reply p99 < 50 ms at 10 people, each pausing 0.75-2.25 s",
)


def test_the_suite_runs_every_budget_once_and_prints_its_row_with_the_floor() -> None:
    result = subprocess.run(
        [sys.executable, "bench/suite.py", "--quick", "--runs", "1"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert rows[0].split("|")[1].strip() == "budget"
    for budget in BUDGETS:
        (row,) = [r for r in rows if r.startswith(f"| {budget} ")]
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == "SQLite"
        assert "FAILED" not in cells[3]
        floor = cells[4]
        # The web chat's rows are measured against an echo and a commit; the others a commit.
        web = not budget.startswith(("alert", "Teams"))
        assert ("echo" in floor) == web and "commit" in floor, row
        assert cells[6] in {"met", "NOT met"}
    (burst,) = [r for r in rows if r.startswith("| 200 pressing Send together")]
    assert re.search(r", \d+ errors", burst), burst  # counted, whatever the count
    assert "floor p99: a bare aiohttp websocket echo" in result.stdout
