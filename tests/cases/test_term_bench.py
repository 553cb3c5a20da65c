"""bench/term_scheduler.py runs, on a handful of reports, and finds every level on time."""

from __future__ import annotations

import subprocess
import sys

from bot.settings import PROJECT_ROOT


def test_the_term_benchmark_runs_with_a_few_reports():
    result = subprocess.run(
        [sys.executable, "bench/term_scheduler.py", "--reports", "5", "--database-url", ""],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "result: every level on time to the second, none twice" in result.stdout
    assert "reports: 5 (" in result.stdout
