"""The Docker image's install and layout, without Docker (this machine cannot pull base images):
the Dockerfile's own pip step into a clean venv, only the folders its COPY lines copy, then the
image's CMD, answered by its HEALTHCHECK command. A runtime dependency missing from the lock, or
a folder the code needs but the image leaves out, fails here."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from tests.support.net import free_port

DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text()


def _stages() -> list[str]:
    """The build stages, each from its FROM line on."""
    return DOCKERFILE.split("\nFROM ")[1:]


def _pip_install_command(venv: Path) -> list[str]:
    """The build stage's `RUN .../pip install ... -r /tmp/runtime.lock`, pointed at `venv`."""
    found = re.search(r"^RUN (/opt/venv/bin/pip install .*)$", _stages()[0], re.MULTILINE)
    assert found, "the build stage should install with /opt/venv/bin/pip"
    command = found.group(1).replace("/opt/venv", str(venv))
    command = command.replace("/tmp/runtime.lock", str(PROJECT_ROOT / "requirements/runtime.lock"))
    return shlex.split(command)


def _copied_folders() -> list[str]:
    return re.findall(r"^COPY (\w+) \./\1$", _stages()[-1], re.MULTILINE)


def _json_array(instruction: str) -> list[str]:
    found = re.search(rf"^{instruction} (\[.*\])$", _stages()[-1], re.MULTILINE)
    assert found, instruction
    return list(eval(found.group(1)))  # noqa: S307 (our own Dockerfile's JSON-form array)


def _healthcheck(port: int) -> list[str]:
    found = re.search(r"HEALTHCHECK [^\n]*\\\n\s*CMD (.*)$", _stages()[-1], re.MULTILINE)
    assert found, "HEALTHCHECK ... CMD on the next line"
    return shlex.split(found.group(1).replace(":3978/", f":{port}/"))


def test_the_image_installs_and_starts_from_what_it_copies(tmp_path: Path) -> None:
    venv, app, data = tmp_path / "venv", tmp_path / "app", tmp_path / "data"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        _pip_install_command(venv),
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    for folder in _copied_folders():
        shutil.copytree(
            PROJECT_ROOT / folder, app / folder, ignore=shutil.ignore_patterns("__pycache__")
        )

    port = free_port()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DATA_DIR": str(data),
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    command = _json_array("CMD")
    assert command[0] == "python"
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(venv / "bin" / "python"), *command[1:]],
            cwd=app,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        healthcheck = _healthcheck(port)
        assert healthcheck[0] == "python"
        healthcheck[0] = str(venv / "bin" / "python")
        deadline = time.monotonic() + 60
        while True:
            probe = subprocess.run(healthcheck, capture_output=True, timeout=10, env=env, cwd=app)
            if probe.returncode == 0:
                break
            if server.poll() is not None or time.monotonic() > deadline:
                output = log.read_text(errors="replace")
                pytest.fail(f"the image's CMD did not become healthy:\n{output[-3000:]}")
            time.sleep(0.5)
        assert (data / "bot.db").exists() and (data / "encryption.key").exists()
    finally:
        server.terminate()
        server.wait(timeout=15)
