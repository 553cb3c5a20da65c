"""Backup, restore and key rotation, as an IT person runs them: `python -m bot backup PATH`,
`restore PATH`, `rotate-key` (also interrupted half-way and run again)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from bot.app import Bot, build_bot, prepare_storage
from bot.maintenance.rotate import INTERRUPTED, RotateError, pending_key_file, rotate_key
from bot.record.events import record_event, verify_log
from bot.settings import PROJECT_ROOT, Settings
from storage.crypto import Cipher, CipherError, Misplaced
from storage.models import Conversation, Event, Report
from tests.support.alerts import file_concern
from tests.support.legacy import report_from_before_binding
from tests.support.reports import all_reports, answers_of
from tests.support.warm import run_bot

EXAMPLE = PROJECT_ROOT / "config" / "school.example.yaml"


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_bot(*args, env={**os.environ, **env}, timeout=60)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": "", "ENCRYPTION_KEY": "", **extra}


def _sqlite_bot(tmp_path: Path) -> Bot:
    settings = Settings(data_dir=tmp_path / "data", database_url="", school_config=EXAMPLE)
    return build_bot(settings)


async def _seed(tmp_path: Path) -> dict[str, Any]:
    """Two filed concerns and a sealed log entry in DATA_DIR's SQLite; reference -> answers."""
    bot = _sqlite_bot(tmp_path)
    try:
        await prepare_storage(bot)
        for _ in range(2):
            await file_concern(bot)
        await _note(bot)
        return await _answers(bot)
    finally:
        await bot.engine.dispose()


async def _note(bot: Bot) -> None:
    async with bot.router.sessions() as session, session.begin():
        await record_event(
            session,
            kind="note",
            at=bot.router.clock(),
            actor_email="dsl@example.org",
            secret={"note": "spoke to parents"},
            cipher=bot.cipher,
        )


async def _answers(bot: Bot) -> dict[str, Any]:
    return {r.reference: await answers_of(bot, r) for r in await all_reports(bot)}


async def _read_back(tmp_path: Path) -> dict[str, Any]:
    bot = _sqlite_bot(tmp_path)
    try:
        return await _answers(bot)
    finally:
        await bot.engine.dispose()


class Token(NamedTuple):
    """An encrypted value and where it is stored."""

    table: str
    row: int | None
    column: str
    value: bytes


async def _tokens(bot: Bot) -> list[Token]:
    """Every rotated encrypted value, in a fixed order."""
    async with bot.engine.connect() as connection:
        reports = await connection.execute(
            select(Report.id, Report.answers_enc).order_by(Report.id)
        )
        states = await connection.execute(
            select(Conversation.id, Conversation.state_enc).order_by(Conversation.id)
        )
        return [
            Token(table, row, column, bytes(value))
            for table, column, rows in (
                ("reports", "answers_enc", reports),
                ("conversations", "state_enc", states),
            )
            for row, value in rows
            if value is not None
        ]


async def _sealed_entries(bot: Bot) -> list[Token]:
    async with bot.router.sessions() as session:
        events = await session.scalars(select(Event).where(Event.detail_enc.is_not(None)))
        return [Token("events", e.seq, "detail_enc", bytes(e.detail_enc or b"")) for e in events]


def _reads(key: bytes, token: Token) -> bool:
    try:
        Cipher([key]).decrypt_json(
            token.value, table=token.table, row=token.row, column=token.column
        )
    except CipherError:
        return False
    return True


# --- backup and restore (SQLite, as commands)


def test_backup_wipe_restore_then_the_log_verifies_and_reports_read_back(tmp_path):
    answers = asyncio.run(_seed(tmp_path))
    assert len(answers) == 2 and all(answers.values())
    env = _env(tmp_path)
    copy = tmp_path / "backups" / "bot-backup.db"

    made = _run("backup", str(copy), env=env)
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert "encryption.key" in made.stdout and "NOT in the same place" in made.stdout
    again = _run("backup", str(copy), env=env)
    assert again.returncode == 2 and "already exists" in again.stderr and "--force" in again.stderr
    assert _run("backup", str(copy), "--force", env=env).returncode == 0

    data = tmp_path / "data"
    for name in ["bot.db", "bot.db-wal", "bot.db-shm"]:
        (data / name).unlink(missing_ok=True)
    restored = _run("restore", str(copy), env=env)
    assert restored.returncode == 0, restored.stderr
    assert "OK: the event log's" in restored.stdout and "intact" in restored.stdout
    assert not (data / "bot.db.before-restore").exists()  # there was nothing to keep

    checked = _run("verify-log", env=env)
    assert checked.returncode == 0, checked.stderr
    assert asyncio.run(_read_back(tmp_path)) == answers

    # Restoring over an existing database keeps that one beside it.
    assert _run("restore", str(copy), env=env).returncode == 0
    kept = data / "bot.db.before-restore"
    with sqlite3.connect(kept) as db:
        assert db.execute("SELECT count(*) FROM reports").fetchone() == (2,)


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    answers = asyncio.run(_seed(tmp_path))
    env = _env(tmp_path)
    before = (tmp_path / "data" / "bot.db").read_bytes()
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    for path, reason in [
        (text_file, "is not a SQLite database"),
        (other, "not a backup of the bot"),
        (tmp_path / "missing.db", "there is no backup file"),
    ]:
        result = _run("restore", str(path), env=env)
        assert result.returncode == 2, path
        assert reason in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "data" / "bot.db").read_bytes() == before
    assert asyncio.run(_read_back(tmp_path)) == answers


def test_restore_refuses_a_backup_the_current_key_cannot_read(tmp_path):
    asyncio.run(_seed(tmp_path))
    copy = tmp_path / "b.db"
    assert _run("backup", str(copy), env=_env(tmp_path)).returncode == 0
    stranger = Fernet.generate_key().decode()
    result = _run("restore", str(copy), env=_env(tmp_path, ENCRYPTION_KEY=stranger))
    assert result.returncode == 2
    assert "2 of the 2 reports" in result.stderr and "cannot be read" in result.stderr


def test_backup_and_restore_on_postgresql_print_the_commands_never_the_password(tmp_path):
    url = "postgresql+asyncpg://alice:s3cret-pw@db.example.org:5433/safety"
    env = _env(tmp_path, DATABASE_URL=url)
    target = tmp_path / "dump.pgc"
    made = _run("backup", str(target), env=env)
    assert made.returncode == 0, made.stderr
    assert (
        f"pg_dump --format=custom --file {target} -h db.example.org -p 5433 -U alice safety"
        in made.stdout
    )
    restored = _run("restore", str(target), env=env)
    assert restored.returncode == 0, restored.stderr
    assert "pg_restore --clean --if-exists -h db.example.org" in restored.stdout
    for result in (made, restored):
        assert "s3cret-pw" not in result.stdout + result.stderr
    assert not target.exists()


def test_backup_and_restore_need_a_path(tmp_path):
    result = _run("backup", env=_env(tmp_path))
    assert result.returncode == 2 and "backup needs a PATH" in result.stderr


# --- key rotation


async def test_rotation_interrupted_half_way_then_resumed_leaves_only_the_new_key(make_bot, capsys):
    bot = await make_bot()
    for _ in range(3):
        await file_concern(bot)
    answers = await _answers(bot)
    old = bot.settings.key_file.read_bytes().strip()
    before = await _tokens(bot)
    assert len(before) >= 4

    status = await rotate_key(bot.settings, bot.engine, batch_size=2, stop_after=1)
    assert status == INTERRUPTED
    assert "INTERRUPTED after 1 batch(es), 2 value(s)" in capsys.readouterr().out
    assert bot.settings.key_file.read_bytes().strip() == old  # not switched yet
    new = pending_key_file(bot.settings).read_bytes().strip()
    assert stat.S_IMODE(pending_key_file(bot.settings).stat().st_mode) == 0o600
    half = await _tokens(bot)
    assert [_reads(new, t) for t in half] == [True, True] + [False] * (len(half) - 2)
    assert all(_reads(old, t) for t in half[2:])

    assert await rotate_key(bot.settings, bot.engine, batch_size=2) == 0
    out = capsys.readouterr().out
    assert f"OK: {len(before) - 2} value(s) re-encrypted" in out
    # The new key first; the old one after it, for sealed log entries and older backups.
    assert bot.settings.key_file.read_bytes().split() == [new, old]
    assert not pending_key_file(bot.settings).exists()
    (kept,) = bot.settings.data_dir.glob("encryption.key.old-*")
    assert kept.read_bytes().strip() == old
    after = await _tokens(bot)
    assert len(after) == len(before)
    assert all(_reads(new, t) and not _reads(old, t) for t in after)

    restarted = await make_bot()  # reads the new key file
    assert await _answers(restarted) == answers


async def test_rotation_run_again_changes_nothing(make_bot, capsys):
    bot = await make_bot()
    await file_concern(bot)
    key = Fernet.generate_key().decode()
    assert await rotate_key(bot.settings, bot.engine, given=key) == 0
    done = await _tokens(bot)
    capsys.readouterr()
    assert await rotate_key(bot.settings, bot.engine, given=key) == 0
    out = capsys.readouterr().out
    assert "OK: 0 value(s) re-encrypted" in out and "already the new key" in out
    assert await _tokens(bot) == done
    assert bot.settings.key_file.read_bytes().split()[0] == key.encode()
    assert len(list(bot.settings.data_dir.glob("encryption.key.old-*"))) == 1


async def test_rotation_with_encryption_key_leaves_sealed_log_entries_and_the_chain_alone(
    make_bot, capsys
):
    old = Fernet.generate_key().decode()
    bot = await make_bot(encryption_key=old)
    await file_concern(bot)
    await _note(bot)
    new = Fernet.generate_key().decode()
    assert await rotate_key(bot.settings, bot.engine, given=new, batch_size=1) == 0
    assert f"ENCRYPTION_KEY={new},{old}" in capsys.readouterr().out
    assert all(_reads(new.encode(), t) and not _reads(old.encode(), t) for t in await _tokens(bot))
    async with bot.router.sessions() as session:
        assert (await verify_log(session)).ok
    sealed = await _sealed_entries(bot)
    assert sealed and all(_reads(old.encode(), s) for s in sealed)

    # Set as told: the new key first, the old after it. The pending key file is then removed.
    moved = await make_bot(encryption_key=f"{new},{old}")
    assert await rotate_key(moved.settings, moved.engine) == 0
    assert not pending_key_file(moved.settings).exists()


async def test_rotation_with_a_key_file_keeps_the_old_key_after_the_new_one(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    await _note(bot)
    old = bot.settings.key_file.read_bytes().strip()
    new = Fernet.generate_key()
    assert await rotate_key(bot.settings, bot.engine, given=new.decode()) == 0
    assert bot.settings.key_file.read_bytes().split() == [new, old]
    assert bot.settings.key_file.stat().st_mode & 0o777 == 0o600
    assert not pending_key_file(bot.settings).exists()
    assert all(_reads(new, t) and not _reads(old, t) for t in await _tokens(bot))
    restarted = await make_bot()  # reads both keys from the file: the sealed notes still open
    async with restarted.router.sessions() as session:
        assert (await verify_log(session)).ok
    sealed = await _sealed_entries(restarted)
    assert sealed
    assert all(
        restarted.cipher.decrypt_json(s.value, table=s.table, row=s.row, column=s.column)
        for s in sealed
    )


async def test_rotation_to_the_key_in_use_seals_old_fernet_values_for_their_rows(
    make_bot, tmp_path, clock, database_url
):
    """Values written before (Fernet, which opens in any row) are sealed again for their own
    row and column; each report's new bytes are bound in the log, which still verifies."""
    document = {"answers": {"what_happened": "An old report."}, "rows": []}
    _id, key = await report_from_before_binding(
        data_dir=tmp_path / "data",
        database_url=database_url,
        school_config=EXAMPLE,
        clock=clock,
        document=document,
    )
    bot = await make_bot()  # binds the old report, as it is
    (before,) = await _tokens(bot)
    assert before.value.startswith(b"gAAAAA")

    assert await rotate_key(bot.settings, bot.engine, given=key.decode()) == 0
    (after,) = await _tokens(bot)
    assert after.value.startswith(b"G1") and _reads(key, after)
    with pytest.raises(Misplaced):
        bot.cipher.decrypt_json(
            after.value, table="reports", row=after.row + 1, column=after.column
        )
    assert await answers_of(bot, (await all_reports(bot))[0]) == document["answers"]
    async with bot.router.sessions() as session:
        check = await verify_log(session)
        kinds = list(await session.scalars(select(Event.kind).order_by(Event.seq)))
    assert check.ok and check.reports == 1
    assert kinds == ["submitted", "report_bound", "report_resealed"]


async def test_rotation_stops_at_a_report_that_no_longer_matches_the_log(make_bot):
    """Sealing a changed report again would bind the change: the run stops and names it."""
    bot = await make_bot()
    await file_concern(bot)
    (report,) = await all_reports(bot)
    async with bot.engine.begin() as connection:
        await connection.execute(
            update(Report).where(Report.id == report.id).values(reporter_email="x@example.org")
        )
    with pytest.raises(RotateError, match=f"report {report.reference} no longer matches"):
        await rotate_key(bot.settings, bot.engine, given=Fernet.generate_key().decode())
    async with bot.router.sessions() as session:
        assert not (await verify_log(session)).ok  # still found


def test_rotate_key_command_interrupted_and_resumed(tmp_path):
    answers = asyncio.run(_seed_without_notes(tmp_path))
    env = _env(tmp_path)
    stopped = _run("rotate-key", "--batch-size", "1", "--stop-after", "1", env=env)
    assert stopped.returncode == INTERRUPTED, stopped.stderr
    resumed = _run("rotate-key", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert "now holds the new key" in resumed.stdout
    assert _run("verify-log", env=env).returncode == 0
    assert asyncio.run(_read_back(tmp_path)) == answers


async def _seed_without_notes(tmp_path: Path) -> dict[str, Any]:
    bot = _sqlite_bot(tmp_path)
    try:
        await prepare_storage(bot)
        for _ in range(2):
            await file_concern(bot)
        return await _answers(bot)
    finally:
        await bot.engine.dispose()
