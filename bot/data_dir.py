"""The data folder holds the database, the encryption key and the sign-in secret: it is the bot's
alone. Every command makes it so before it writes anything, or stops and says how to fix it.

Docker creates a volume 0755 and an older bot left `bot.db` 0644: the folder is forced to 0700
and everything in it to 0600 (folders inside it 0700). The process umask becomes 0o077 as well,
so what is created later (SQLite's -wal and -shm, backups, rotated keys) is born private.
"""

from __future__ import annotations

import os
import shlex
import stat
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import Settings

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


class DataDirError(Exception):
    """The data folder cannot be made private; the message says the command that fixes it."""


def secure_data_dir(settings: Settings) -> None:
    """Private umask, then 0700 on DATA_DIR and 0600 on what is in it (and on a SQLite file
    kept elsewhere); raises DataDirError when that is not possible."""
    os.umask(0o077)
    folder = settings.data_dir.absolute()
    if folder.exists() and not folder.is_dir():
        raise DataDirError(
            f"DATA_DIR {folder} is a file, not a folder: set DATA_DIR to a folder "
            "(the bot creates it if it does not exist), or move that file away"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    except OSError as error:
        raise DataDirError(_cannot(folder, folder, error, "created")) from None
    _make_private(folder, folder, PRIVATE_FOLDER)
    for root, folders, files in os.walk(folder, onerror=_unreadable(folder)):
        for name in folders:
            _make_private(folder, Path(root) / name, PRIVATE_FOLDER)
        for name in files:
            _make_private(folder, Path(root) / name, PRIVATE_FILE)
    database = _sqlite_file(settings)
    if database is not None and not database.is_relative_to(folder):
        for path in database.parent.glob(database.name + "*"):
            _make_private(database.parent, path, PRIVATE_FILE)


def _make_private(folder: Path, path: Path, mode: int) -> None:
    try:
        found = path.lstat()
        # A link is never followed: one pointing at /etc/passwd must not make root chmod it.
        if stat.S_ISLNK(found.st_mode) and path != folder:
            return
        found = path.stat()
        if os.geteuid() != 0 and found.st_uid != os.geteuid():
            # Even at the right mode, it is another user's: the bot may not be able to read it.
            raise PermissionError(1, "it belongs to another user")
        if stat.S_IMODE(found.st_mode) != mode:
            path.chmod(mode)
    except FileNotFoundError:
        return  # gone between listing and changing (a -journal file): nothing to protect
    except OSError as error:
        raise DataDirError(_cannot(folder, path, error, "made private")) from None


def _unreadable(folder: Path) -> Callable[[OSError], None]:
    def fail(error: OSError) -> None:
        where = Path(error.filename) if error.filename else folder
        raise DataDirError(_cannot(folder, where, error, "read"))

    return fail


def _cannot(folder: Path, path: Path, error: OSError, what: str) -> str:
    owner = f"{os.geteuid()}:{os.getegid()}"
    place = shlex.quote(str(folder))
    subject = "it" if path == folder else str(path)
    return (
        f"The data folder {folder} must belong to the bot's user (uid:gid {owner}) and be "
        f"private to it, but {subject} cannot be {what} ({error.strerror}).\n"
        f"Fix it as root, then start the bot again:\n"
        f"  chown -R {owner} {place} && chmod -R u=rwX,go= {place}\n"
        "(in Docker, for a volume: docker run --rm -u root -v VOLUME:/data IMAGE "
        "chown -R bot:bot /data)"
    )


def _sqlite_file(settings: Settings) -> Path | None:
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).absolute()
