"""`python -m bot rotate-key`: re-encrypt stored report text under a new key.

The new key is written to DATA_DIR/encryption.key.new before anything is re-encrypted, so an
interrupted run is resumed by running the command again: it picks that key up, and every
batch of rows is its own transaction. A value already under the new key, in the current format
(AES-GCM sealed for its row and column, see `storage.crypto`), is left alone, so a re-run only
touches what is left. Rotating to the key in use (`--new-key` with it) brings values written in
the old format (Fernet, which opened in any row) to the current one.

What is re-encrypted: reports' answers and who an allegation is about, conversations' dialog
state and the self-audit's answers. Each report whose answers are sealed again gets a
`report_resealed` entry in the event log, in the same transaction, binding the new bytes (see
`bot.record.bindings`); a report that no longer matches the log is not sealed again (that
would launder the change): the run stops and names it. Sealed entries of the event log
(`events.detail_enc`) are NOT re-encrypted: the log's hash chain is computed over those bytes,
so re-encrypting them would make `verify-log` report every such entry as altered. They stay
under the key they were written with, which must therefore stay in ENCRYPTION_KEY, after the
new one (any of the keys given opens).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import Column, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.record.bindings import BINDING, BOUND_KINDS, binding_of, differences
from bot.record.events import record_event
from bot.settings import Settings
from storage.crypto import Cipher, CipherError, Misplaced, read_key_file
from storage.models import Base, Event, Report
from storage.scope import acting_for, trust_sessions

BATCH_SIZE = 200
INTERRUPTED = 3  # the exit status when --stop-after stopped the run

# (table, encrypted column) pairs re-encrypted, in this order.
ROTATED: tuple[tuple[str, str], ...] = (
    ("reports", "answers_enc"),
    ("reports", "excluded_enc"),
    ("conversations", "state_enc"),
    ("audit_participants", "answers_enc"),
    ("filtering_checks", "text_enc"),  # a filtering check's device, location and action
    ("filtering_reviews", "answers_enc"),  # the annual filtering and monitoring review
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


async def reencrypt(
    engine: AsyncEngine,
    *,
    new: bytes,
    old: list[bytes],
    batch_size: int = BATCH_SIZE,
    stop_after: int | None = None,
) -> Progress:
    """Re-encrypt every value not yet under `new`, `batch_size` rows to a transaction."""
    cipher = Cipher([new, *(k for k in old if k != new)])
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
            # Every school's rows (the key is the deployment's); a report sealed again is
            # recorded in its own school's log.
            async with trust_sessions(engine)() as session, session.begin():
                rows = (await session.execute(query)).all()
                for row_id, value in rows:
                    token = bytes(value)
                    if cipher.is_current(token):
                        continue
                    place: dict[str, Any] = {"table": table.name, "row": row_id, "column": name}
                    try:
                        document = cipher.decrypt_json(token, **place)
                    except Misplaced as error:
                        raise RotateError(
                            f"{error}; it is not sealed again (run verify-log to see what else "
                            "changed)"
                        ) from None
                    except CipherError:
                        raise RotateError(
                            f"{table.name} row {row_id} cannot be decrypted with any key given: "
                            "the key it was written with is not in ENCRYPTION_KEY (or the key file)"
                        ) from None
                    rotated = cipher.encrypt_json(document, **place)
                    if (table.name, name) == ("reports", "answers_enc"):
                        await _reseal_report(session, row_id, rotated)
                    else:
                        await session.execute(
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


async def _reseal_report(session: AsyncSession, report_id: int, rotated: bytes) -> None:
    """Store a report's answers sealed again, and bind the new bytes in the event log; only if
    the report is still as the log last recorded it."""
    report = await session.get(Report, report_id)
    assert report is not None
    details = await session.scalars(
        select(Event.detail)
        .where(Event.report_id == report_id, Event.kind.in_(BOUND_KINDS))
        .order_by(Event.seq.desc())
    )
    recorded: dict[str, object] | None = None
    for detail in details:
        binding = detail.get(BINDING)
        if isinstance(binding, dict):
            recorded = binding
            break
    name = report.reference or f"id {report_id}"
    if recorded is None:
        raise RotateError(
            f"report {name} is not bound in the event log: run python -m bot migrate first"
        )
    changed = differences(recorded, binding_of(report))
    if changed:
        raise RotateError(
            f"report {name} no longer matches the event log ({', '.join(changed)} changed): "
            "it is not sealed again; run python -m bot verify-log"
        )
    report.answers_enc = rotated
    with acting_for(session, report.school_id):
        await record_event(
            session,
            kind="report_resealed",
            at=datetime.now(UTC),
            actor_email=None,
            report_id=report_id,
            detail={BINDING: binding_of(report)},
        )


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
