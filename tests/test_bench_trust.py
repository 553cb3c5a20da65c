"""The trust benchmark (bench/trust.py) runs on PostgreSQL and finds every log it wrote intact,
writers in one school and across schools. It checks that it runs and what it checks, never how
fast (times are the bench's)."""

from __future__ import annotations

import subprocess
import sys

from bot.settings import PROJECT_ROOT


def test_the_trust_bench_writes_every_schools_log_at_once_and_they_verify(
    postgres_only: str,
) -> None:
    command = [sys.executable, "bench/trust.py", "--database-url", postgres_only]
    small = ["--schools", "6", "--writers", "4", "--transactions", "5", "--hold-ms", "0"]
    result = subprocess.run(
        [*command, *small], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "the day's seal of 6 heads" in result.stdout and "(ok)" in result.stdout
    assert "every written log checked whole" in result.stdout
    assert "all intact" in result.stdout
