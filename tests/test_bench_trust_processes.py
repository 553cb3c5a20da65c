"""The September morning of a trust as production runs it (bench/trust.py september
--processes, bench/trust_processes.py), small: two web replicas and a scheduler serving two
schools on Teams (a fake Bot Connector), everyone with the app installed, the self-audit
started in each school, its staff invited and some answering while reporters file concerns. It
checks that it runs and what it checks (every report in its own school's records, every alert at
its own school's DSL, every invitation sent, every answer stored), never how fast."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.settings import PROJECT_ROOT


def test_the_morning_in_processes_runs_with_no_error_and_no_leak(postgres_only: str) -> None:
    small = ["--schools", "2", "--staff", "12", "--answerers", "2", "--reporters", "2"]
    quick = ["--flows", "1", "--think", "0", "--reports", "0", "--start-now", "--lead", "0"]
    result = subprocess.run(
        [
            sys.executable,
            "bench/trust.py",
            "september",
            "--processes",
            "--database-url",
            postgres_only,
            *small,
            *quick,
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "trust morning in processes: 2 schools, 12 staff, 2 answering" in out
    for budget in ("budget p99 < 100 ms", "budget p99 < 50 ms", "budget < 250 MB", "budget >= 95%"):
        assert budget in out, out
    for process in ("web-1", "web-2", "scheduler"):
        assert f"RSS, {process} (highest)" in out, out
    assert "self-audits answered           2 of 2" in out
    assert "errors (incl. leaks)           0" in out


def test_a_reference_is_read_whole_and_matched_as_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """With 200,000 reports seeded the morning's references have six digits: read as five,
    OS-2026-200823 was taken for OS-2026-20082, which every other school's alert card then
    "contained" (40 cross-school leaks reported that were none)."""
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "bench"))
    from trust_processes import REFERENCE, names

    receipt = "Sent. Your reference is OS-2026-200823. The DSL has been told."
    assert REFERENCE.findall(receipt) == ["OS-2026-200823"]
    assert names(receipt, "OS-2026-200823")
    assert not names("New concern OS-2026-200821 (urgent)", "OS-2026-20082")
    assert names("New concern OS-2026-00412.", "OS-2026-00412")
