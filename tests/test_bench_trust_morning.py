"""The September morning of a trust (bench/trust.py september, bench/trust_morning.py), small:
one deployment serving three schools, the self-audit started in each with staff answering it
while reporters file concerns. It checks that it runs and what it checks (every report in its
own school, every alert to its own school's DSL, every answer stored), never how fast."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.settings import PROJECT_ROOT


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_morning_runs_with_no_error_and_no_leak(
    database: str, request: pytest.FixtureRequest
) -> None:
    url = []
    if database == "postgresql":
        url = ["--database-url", request.getfixturevalue("postgres_only"), "--reset-schema"]
    small = [
        "--schools",
        "3",
        "--staff",
        "24",
        "--answerers",
        "6",
        "--reporters",
        "3",
        "--spread",
        "0",
    ]
    result = subprocess.run(
        [sys.executable, "bench/trust.py", "september", *small, "--flows", "1", *url],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "trust morning: 3 schools, 24 staff, 6 answering" in out
    for budget in ("budget p99 < 100 ms", "budget p99 < 50 ms", "budget < 250 MB"):
        assert budget in out, out
    assert "self-audits answered         6 of 6" in out
    assert "errors (incl. leaks)         0" in out
