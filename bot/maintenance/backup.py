"""`python -m bot backup PATH` and `python -m bot restore PATH`.

SQLite is copied with its online backup API, which gives a consistent copy while the bot runs
(a plain file copy of a live WAL database may not be). PostgreSQL has its own tools: these
commands print the `pg_dump` / `pg_restore` command to use, without the password.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from bot.maintenance.schema_check import (
    NotOurSchema,
    candidate_revision,
    compare,
    expected_schema,
    open_untrusted,
    read_schema,
)
from bot.settings import Settings
from storage.crypto import Cipher, CipherError
from storage.db import create_engine
from storage.migrate import head_revision, upgrade

SQLITE_HEADER = b"SQLite format 3\x00"
BEFORE_RESTORE = ".before-restore"


class MaintenanceError(Exception):
    """A refusal; the message says why and what to do."""


def sqlite_path(settings: Settings) -> Path | None:
    """The SQLite database file, or None when the database is not SQLite."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _pg_options(url: URL) -> list[str]:
    options = []
    if url.host:
        options += ["-h", url.host]
    if url.port:
        options += ["-p", str(url.port)]
    if url.username:
        options += ["-U", url.username]
    return options


def backup(settings: Settings, target: Path, *, force: bool = False) -> int:
    """Copy the database to `target` (0600); on PostgreSQL print the pg_dump command."""
    source = sqlite_path(settings)
    if source is None:
        url = make_url(settings.resolved_database_url)
        command = ["pg_dump", "--format=custom", "--file", str(target), *_pg_options(url)]
        command.append(url.database or "")
        print("The database is not SQLite: back it up with PostgreSQL's own tool, pg_dump:")
        print("  " + shlex.join(command))
        print("(give the password in PGPASSWORD or ~/.pgpass; it is never printed here.)")
        _print_key_advice(settings)
        return 0
    if not source.exists():
        raise MaintenanceError(f"there is no database at {source} to back up")
    if target.exists() and not force:
        raise MaintenanceError(f"{target} already exists; choose another name or add --force")
    _online_copy(source, target)
    print(f"OK: the database at {source} is backed up to {target}.")
    _print_key_advice(settings)
    return 0


def _online_copy(source: Path, target: Path) -> None:
    """A consistent copy of a (possibly live) SQLite database, written 0600."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with (
            contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
            contextlib.closing(sqlite3.connect(partial)) as dst,
        ):
            src.backup(dst)
            # A single self-contained file: no -wal beside it to lose on the way.
            dst.execute("PRAGMA journal_mode=DELETE")
            (check,) = dst.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise MaintenanceError(f"the copy failed its integrity check: {check}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _print_key_advice(settings: Settings) -> None:
    where = "ENCRYPTION_KEY" if settings.encryption_key else str(settings.key_file)
    print(
        f"Report text in the backup is encrypted with the key in {where}. Keep a copy of that "
        "key with your backups but NOT in the same place: without it the backup cannot be "
        "read, and with both together anyone can read it."
    )


def restore(settings: Settings, cipher: Cipher, backup_file: Path, *, force: bool = False) -> int:
    """Replace the database with `backup_file`, keeping the current one beside it.

    The backup is copied into DATA_DIR first and only that private copy is checked and moved
    into place, so the file checked is the file restored. A backup at an older schema revision
    is brought up to date straight away. This lowers SQLite's memory ceiling for the rest of
    the process (see schema_check): call it from the `restore` command only.

    Returns 0 when the database was replaced (the caller then checks the event log)."""
    target = sqlite_path(settings)
    if target is None:
        url = make_url(settings.resolved_database_url)
        command = ["pg_restore", "--clean", "--if-exists", *_pg_options(url)]
        command += ["--dbname", url.database or "", str(backup_file)]
        print("The database is not SQLite: restore it with PostgreSQL's own tool, pg_restore:")
        print("  " + shlex.join(command))
        print("(for a plain-SQL dump use psql -f instead; then run: python -m bot verify-log)")
        return 0
    _require_sqlite_file(backup_file)
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(target.name + ".restoring")
    _remove_with_journals(incoming)
    try:
        _private_copy(backup_file, incoming)
        revision = _check_backup(incoming, cipher, shown=backup_file, force=force)
        if target.exists():
            kept = target.with_name(target.name + BEFORE_RESTORE)
            kept.unlink(missing_ok=True)
            _online_copy(target, kept)
            print(f"The current database is kept as {kept}.")
        # A stale write-ahead log beside the new file would be replayed into it: remove both.
        for suffix in ("-wal", "-shm"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        os.replace(incoming, target)
    finally:
        _remove_with_journals(incoming)
    print(f"OK: {backup_file} is restored to {target}.")
    if revision != head_revision():
        asyncio.run(_bring_up_to_date(settings))
        print(f"The backup was at schema {revision}: brought up to date ({head_revision()}).")
    return 0


def _require_sqlite_file(path: Path) -> None:
    if not path.is_file():
        raise MaintenanceError(f"there is no backup file at {path}")
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise MaintenanceError(f"{path} is not a SQLite database, so not a backup of the bot")


def _private_copy(source: Path, target: Path) -> None:
    """A byte copy, 0600, in bounded memory (the backup is not live: no online copy needed)."""
    with source.open("rb") as reading:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as writing:
            shutil.copyfileobj(reading, writing, 1024 * 1024)


def _remove_with_journals(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


async def _bring_up_to_date(settings: Settings) -> None:
    engine = create_engine(settings.resolved_database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _check_backup(path: Path, cipher: Cipher, *, shown: Path, force: bool) -> str:
    """The backup's schema revision, once its schema, integrity and key are checked."""
    try:
        with open_untrusted(path) as db:
            schema = read_schema(db)
            revision = candidate_revision(db, schema)
            compare(schema, expected_schema(revision), revision)
            (check,) = db.execute("PRAGMA quick_check(1)").fetchone()
            if check != "ok":
                raise NotOurSchema(f"it is damaged ({check})")
            readable, unreadable = _key_check(db, cipher)
    except NotOurSchema as error:
        raise MaintenanceError(f"{shown} is not restored: {error}") from None
    except sqlite3.Error as error:
        reason = " ".join(str(error).split())
        raise MaintenanceError(
            f"{shown} is a SQLite database but not a backup of the bot ({reason})"
        ) from None
    total = readable + unreadable
    if unreadable and not force:
        raise MaintenanceError(
            f"{unreadable} of the {total} reports in {shown} cannot be read with the "
            "current key: put back the key that was in use when the backup was made (or add "
            "--force to restore anyway)"
        )
    print(
        f"{shown}: a backup of the bot (schema {revision}; {readable} of {total} reports readable)."
    )
    return revision


def _key_check(db: sqlite3.Connection, cipher: Cipher) -> tuple[int, int]:
    """How many reports the current key can and cannot read, one row at a time."""
    readable = unreadable = 0
    for (token,) in db.execute("SELECT answers_enc FROM reports WHERE answers_enc IS NOT NULL"):
        try:
            cipher.check_key(bytes(token))
        except (CipherError, TypeError):
            unreadable += 1
        else:
            readable += 1
    return readable, unreadable


def fail(error: MaintenanceError) -> int:
    print(f"Refused: {error}.", file=sys.stderr)
    return 2
