"""`python -m bot rotate-key`: re-encrypt stored report text under a new key.

The new key is written to DATA_DIR/encryption.key.new before anything is re-encrypted, so an
interrupted run is resumed by running the command again: it picks that key up, and every
batch of rows is its own transaction. A value already under the new key is left alone, so a
re-run only touches what is left.

What is re-encrypted: reports' answers and conversations' dialog state. Sealed entries of the
event log (`events.detail_enc`) are NOT: the log's hash chain is computed over those bytes, so
re-encrypting them would make `verify-log` report every such entry as altered. They stay under
the key they were written with, which must therefore stay in ENCRYPTION_KEY, after the new one
(MultiFernet decrypts with any of the keys given).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Column, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings
from storage.crypto import read_key_file
from storage.models import Base

BATCH_SIZE = 200
INTERRUPTED = 3  # the exit status when --stop-after stopped the run

# (table, encrypted column) pairs re-encrypted, in this order.
ROTATED: tuple[tuple[str, str], ...] = (
    ("reports", "answers_enc"),
    ("conversations", "state_enc"),
)


class RotateError(Exception):
    """The rotation cannot start or go on; the message says why."""


@dataclass
class Progress:
    changed: int = 0
    batches: int = 0
    finished: bool = False


def pending_key_file(settings: Settings) -> Path:
    return settings.data_dir / "encryption.key.new"


def current_keys(settings: Settings) -> list[bytes]:
    """The keys in use, newest first: ENCRYPTION_KEY's, else the key file's."""
    if settings.encryption_key and settings.encryption_key.get_secret_value():
        text = settings.encryption_key.get_secret_value()
        return [k.strip().encode() for k in text.split(",") if k.strip()]
    return read_key_file(settings.key_file)


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def new_key(settings: Settings, given: str | None) -> bytes:
    """The key being rotated to: an unfinished rotation's, the given one, or a fresh one."""
    pending = pending_key_file(settings)
    if pending.exists():
        key = pending.read_bytes().strip()
        if given and given.strip().encode() != key:
            raise RotateError(
                f"a rotation to another key is under way ({pending}): run rotate-key without "
                "--new-key to finish it"
            )
        return key
    key = given.strip().encode() if given else Fernet.generate_key()
    try:
        Fernet(key)
    except ValueError:
        raise RotateError(
            "--new-key is not a valid Fernet key (32 url-safe base64 bytes)"
        ) from None
    _write_private(pending, key)
    return key


def _under(fernet: Fernet, token: bytes) -> bool:
    try:
        fernet.decrypt(token)
    except InvalidToken:
        return False
    return True


async def reencrypt(
    engine: AsyncEngine,
    *,
    new: bytes,
    old: list[bytes],
    batch_size: int = BATCH_SIZE,
    stop_after: int | None = None,
) -> Progress:
    """Re-encrypt every value not yet under `new`, `batch_size` rows to a transaction."""
    newest = Fernet(new)
    every = MultiFernet([newest, *(Fernet(k) for k in old if k != new)])
    progress = Progress()
    for table_name, name in ROTATED:
        table = Base.metadata.tables[table_name]
        ident: Column[int] = table.c.id
        column: Column[bytes] = table.c[name]
        last = 0
        while True:
            if stop_after is not None and progress.batches >= stop_after:
                return progress
            query = (
                select(ident, column)
                .where(ident > last, column.is_not(None))
                .order_by(ident)
                .limit(batch_size)
            )
            async with engine.begin() as connection:
                rows = (await connection.execute(query)).all()
                for row_id, value in rows:
                    token = bytes(value)
                    if _under(newest, token):
                        continue
                    try:
                        rotated = every.rotate(token)
                    except InvalidToken:
                        raise RotateError(
                            f"{table.name} row {row_id} cannot be decrypted with any key given: "
                            "the key it was written with is not in ENCRYPTION_KEY (or the key file)"
                        ) from None
                    await connection.execute(
                        update(table).where(ident == row_id).values({name: rotated})
                    )
                    progress.changed += 1
            if not rows:
                break
            progress.batches += 1
            last = rows[-1][0]
            if len(rows) < batch_size:
                break
    progress.finished = True
    return progress


async def rotate_key(
    settings: Settings,
    engine: AsyncEngine,
    *,
    given: str | None = None,
    batch_size: int = BATCH_SIZE,
    stop_after: int | None = None,
    today: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """The whole command; returns its exit status."""
    from_env = bool(settings.encryption_key and settings.encryption_key.get_secret_value())
    old = current_keys(settings)
    key = new_key(settings, given)
    progress = await reencrypt(
        engine, new=key, old=old, batch_size=batch_size, stop_after=stop_after
    )
    if not progress.finished:
        print(
            f"INTERRUPTED after {progress.batches} batch(es), {progress.changed} value(s) "
            f"re-encrypted; run rotate-key again to finish (the new key is in "
            f"{pending_key_file(settings)})."
        )
        return INTERRUPTED
    print(f"OK: {progress.changed} value(s) re-encrypted under the new key.")
    pending = pending_key_file(settings)
    if old[0] == key:
        pending.unlink(missing_ok=True)
        print("The key in use is already the new key: nothing else to do.")
        return 0
    if from_env:
        value = ",".join(k.decode() for k in [key, *old])
        print(
            "Now set ENCRYPTION_KEY to the new key first, the old one(s) after it, and restart:\n"
            f"  ENCRYPTION_KEY={value}\n"
            "Keep the old key(s) there while the event log's sealed entries and backups made "
            f"under them are kept. Then delete {pending}."
        )
        return 0
    kept = settings.data_dir / f"encryption.key.old-{today():%Y-%m-%d}"
    number = 1
    while kept.exists():
        number += 1
        kept = settings.data_dir / f"encryption.key.old-{today():%Y-%m-%d}-{number}"
    _write_private(kept, b"\n".join(old) + b"\n")
    # The old keys stay below the new one: the event log's sealed entries keep them (its hash
    # chain covers their encrypted bytes), and so do backups made before today.
    staged = settings.data_dir / "encryption.key.staged"
    staged.unlink(missing_ok=True)
    _write_private(staged, b"\n".join([key, *old]) + b"\n")
    os.replace(staged, settings.key_file)  # atomic: there is always a key file
    pending.unlink()
    print(
        f"{settings.key_file} now holds the new key, with the old one(s) after it for the event "
        f"log's sealed entries; restart the bot. A copy of the old key(s) is in {kept}: keep it "
        "(away from the backups) while backups made under it are kept."
    )
    return 0
