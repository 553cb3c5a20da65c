"""The turn-latency benchmark (`make bench`) still walks the whole concern it times, with the
safeguarding team among its users: it broke unnoticed once when the reporter's confirmation
became a push. This checks that it runs and finishes, never how fast (times are the bench's)."""

from __future__ import annotations

import re
import subprocess
import sys

from bot.settings import PROJECT_ROOT


def test_the_bench_walks_every_flow_with_alerts_pushed_among_its_users() -> None:
    # Ten users: the DSL and the deputies are among them, so alerts arrive between replies.
    command = [sys.executable, "bench/turn_latency.py", "--users", "10", "--flows", "10"]
    # Its floors are left out (--no-floors): tests/test_bench_suite.py checks them, in this same
    # script's rows.
    result = subprocess.run(
        [*command, "--warmup", "1", "--no-floors"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "total: 10 flows, 230 turns" in result.stdout
    pushed = re.search(r"pushed to the users meanwhile .*: (\d+)", result.stdout)
    assert pushed is not None and int(pushed.group(1)) > 0
    assert re.search(r"references: OS-\d{4}-\d{5} \.\. OS-\d{4}-\d{5}", result.stdout)
