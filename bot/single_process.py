"""On SQLite the bot is one process: a second one would run every scheduled job again and
fight the first for the database's write lock. An exclusive lock on a file beside the database,
held for the life of the process, makes a second start say so and stop.

The operating system drops the lock when the process ends, however it ends, so a crash never
leaves a stale lock behind (unlike a PID file).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class AlreadyRunning(Exception):
    """Another process holds the database."""


class ProcessLock:
    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self, purpose: str) -> None:
        """Hold the lock, or raise AlreadyRunning naming the database and what to do."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(
                f"Another bot process is already using the SQLite database "
                f"{self.database}, so this one cannot {purpose}. SQLite supports one "
                "process: stop the other one first, or use PostgreSQL (DATABASE_URL) to run "
                "several web processes and schedulers."
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None
