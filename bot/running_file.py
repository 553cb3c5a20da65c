"""Which process serves the bot from a data folder, so that `python -m bot reload` can ask it
to read its files again (SIGHUP). `python -m bot run` writes its process id to DATA_DIR/bot.pid
while it runs. A process id outlives its process and may be reused, so before signalling, the
process is checked to be alive and a `python -m bot` (a hang-up would end anything else)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

PID_FILE = "bot.pid"


@contextmanager
def running_file(data_dir: Path) -> Iterator[None]:
    """DATA_DIR/bot.pid, for as long as the block runs."""
    path = data_dir / PID_FILE
    path.write_text(f"{os.getpid()}\n")
    try:
        yield
    finally:
        with suppress(OSError):
            if path.read_text().strip() == str(os.getpid()):  # not a later process's
                path.unlink()


def running_bot(data_dir: Path) -> int | None:
    """The id of the bot process serving from `data_dir`, if one is running."""
    try:
        pid = int((data_dir / PID_FILE).read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    try:
        module = command[command.index(b"-m") + 1]  # `python -m bot ...`
    except (ValueError, IndexError):
        return None
    return pid if module == b"bot" else None


def ask_to_reload(pid: int) -> None:
    os.kill(pid, signal.SIGHUP)
