"""`python -m bot COMMAND` as the tests run it, without paying for the bot's imports each time.

A command's own work is small; starting a new interpreter that imports the bot (aiohttp,
SQLAlchemy, alembic, the channels' SDKs) costs about 2 s of CPU, and the suite runs the commands
dozens of times. So each test process starts one interpreter that imports `bot.__main__`
once and then waits; for every command it forks, and the child runs `bot/__main__.py` as
`python -m bot` does (`runpy`, as `__main__`, with the arguments in `sys.argv`), in the given
folder, with the given environment (replacing the inherited one), standard input from
/dev/null and its standard output and error in files read back here, and exits with the
command's exit status. Each command is its own process, as before: nothing it changes reaches
the next one or the test. Commands that serve (a real start, several processes) are still
started as new interpreters by their tests, and so is the image's CMD (tests/test_image_layout.py).
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.settings import PROJECT_ROOT

# The waiting interpreter: one request (a JSON line) at a time on its standard input; answers
# {"pid": ...} once the child is forked and {"status": ...} (as subprocess reports a return
# code: negative for a signal) once it has exited.
_SERVER = r"""
import atexit, json, os, runpy, sys, traceback

import bot.__main__  # the imports every command needs, made once

# Run afresh for each command, as `python -m bot` runs it (runpy warns if it is already there).
MAIN = sys.modules.pop("bot.__main__").__file__
requests, answers = sys.stdin.buffer, sys.stdout.buffer


def exit_code(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def child(request):
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    os.close(null)
    sys.argv = [MAIN, *request["args"]]
    try:
        runpy.run_module("bot", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as stop:
        code = exit_code(stop.code)
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


for line in requests:
    request = json.loads(line)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        child(request)
    answers.write(json.dumps({"pid": pid}).encode() + b"\n")
    answers.flush()
    _, status = os.waitpid(pid, 0)
    answers.write(json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
    answers.flush()
"""


class _Server:
    def __init__(self) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (open while the server runs)
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=PROJECT_ROOT,
            bufsize=0,
        )
        self._pending = b""

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.alive():
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _answer(self, deadline: float | None) -> dict[str, int]:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._pending:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise TimeoutError
            chunk = os.read(fd, 4096)
            if not chunk:
                self._log.seek(0)
                said = self._log.read().decode(errors="replace")[-3000:]
                raise RuntimeError(f"the waiting `python -m bot` interpreter stopped:\n{said}")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        answer: dict[str, int] = json.loads(line)
        return answer

    def run(
        self, args: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "bot", *args]
        with tempfile.TemporaryDirectory(prefix="bot-command-") as folder:
            out, err = Path(folder) / "stdout", Path(folder) / "stderr"
            request = {
                "args": list(args),
                "env": dict(env),
                "cwd": str(cwd),
                "stdout": str(out),
                "stderr": str(err),
            }
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            deadline = time.monotonic() + timeout
            pid = self._answer(None)["pid"]
            try:
                status = self._answer(deadline)["status"]
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                self._answer(None)
                raise subprocess.TimeoutExpired(command, timeout) from None
            return subprocess.CompletedProcess(
                command,
                status,
                _text(out.read_bytes()),
                _text(err.read_bytes()),
            )


def _text(output: bytes) -> str:
    """As `text=True` decodes it (UTF-8 here, universal newlines)."""
    return output.decode().replace("\r\n", "\n").replace("\r", "\n")


_server: list[_Server] = []
_lock = threading.Lock()


def run_bot(
    *args: str, env: Mapping[str, str], cwd: Path = PROJECT_ROOT, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """What `subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd,
    capture_output=True, text=True, timeout=timeout)` gives, from a forked child of the waiting
    interpreter (started on first use, one per test process)."""
    with _lock:
        if not _server or not _server[0].alive():
            if _server:
                _server.pop().close()
            _server.append(_Server())
            atexit.register(_server[0].close)
        return _server[0].run(args, env=env, cwd=cwd, timeout=timeout)
