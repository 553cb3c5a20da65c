"""`python -m bot reload` against a real `python -m bot` serving a trust: the files are checked,
the running bot reads them again on the hang-up it is sent, and a school added can sign in
without a restart; a file with a problem is refused by the command and the bot goes on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.settings import PROJECT_ROOT
from tests.support.net import free_port
from tests.support.warm import run_bot
from tests.web.test_trust_deployment import (
    OAKFIELD_ALONE,
    OAKFIELD_ONLY,
    RIVERSIDE_ONLY,
    with_a_bad_school,
    write_trust,
)


def _sign_in(port: int, email: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/web/login",
        data=json.dumps({"email": email}).encode(),
        headers={"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _until_signed_in(port: int, email: str, process: subprocess.Popen[str]) -> None:
    """Wait for the reload to have been made (the signal is handled in the bot's own time)."""
    deadline = time.monotonic() + 60
    while _sign_in(port, email) != 200:
        assert process.poll() is None, "the bot stopped"
        assert time.monotonic() < deadline, f"{email} still cannot sign in"
        time.sleep(0.2)


def _ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return
        except OSError:
            assert time.monotonic() < deadline, "the bot did not start"
            time.sleep(0.2)


def test_reload_adds_a_school_to_the_running_bot_and_refuses_a_bad_file(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    trust = write_trust(folder)
    both = trust.read_text()
    trust.write_text(OAKFIELD_ALONE)
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": "",
        "TRUST_CONFIG": str(trust),
    }
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "--port", str(port)],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _ready(port)
        assert _sign_in(port, OAKFIELD_ONLY) == 200
        assert _sign_in(port, RIVERSIDE_ONLY) != 200

        trust.write_text(both)
        done = run_bot("reload", env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "files are valid" in done.stdout and f"process {process.pid}" in done.stdout
        _until_signed_in(port, RIVERSIDE_ONLY, process)

        trust.write_text(with_a_bad_school(both))
        refused = run_bot("reload", env=env, timeout=60)
        assert refused.returncode == 2
        assert "Bad Key" in refused.stderr
        assert _sign_in(port, RIVERSIDE_ONLY) == 200  # as it was
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output[-3000:]
    assert "reloaded: 2 school(s); added riverside" in output, output[-3000:]
    assert not (tmp_path / "data" / "bot.pid").exists()  # gone with the process


def test_a_report_on_one_school_asks_for_that_school_under_a_trust(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": "",
        "TRUST_CONFIG": str(write_trust(folder)),
    }
    for command in ("oncall", "summary"):
        done = run_bot(command, env=env, timeout=60)
        assert done.returncode == 2
        assert "SCHOOL_CONFIG=<its file> SCHOOL_KEY=<its key>" in done.stderr
