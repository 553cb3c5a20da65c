"""`python -m bot restore PATH` cannot be used to plant something in the database: a backup is
restored only if its schema is exactly the one the migrations build at its revision (no
trigger, no view, no extra or missing table, column or index), the check reads nothing but the
schema before that, in bounded memory, and a refusal is one line that leaves the live database
as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from bot.app import build_bot, prepare_storage
from bot.settings import PROJECT_ROOT, Settings
from storage.migrate import alembic_config, head_revision
from tests.support.alerts import file_concern
from tests.support.reports import all_reports, answers_of
from tests.support.warm import run_bot

EXAMPLE = PROJECT_ROOT / "config" / "school.example.yaml"
ROWS = 3_000_000
MEMORY_BUDGET_KB = 100 * 1024


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": "",
        "ENCRYPTION_KEY": "",
    }


def _run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run_bot(*args, env=_env(tmp_path), timeout=300)


# Peak memory of one restore, alone: RUSAGE_CHILDREN of a process whose only child it is.
_MEASURED = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stderr.write(done.stderr)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(done.returncode)\n"
)


def _restore_measured(path: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    """The restore's result and its peak resident memory in KiB."""
    result = subprocess.run(
        [sys.executable, "-c", _MEASURED, sys.executable, "-m", "bot", "restore", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(tmp_path),
        cwd=PROJECT_ROOT,
    )
    return result, int(result.stdout.strip().splitlines()[-1])


def _bot(tmp_path: Path) -> Any:
    return build_bot(Settings(data_dir=tmp_path / "data", database_url="", school_config=EXAMPLE))


async def _seed(tmp_path: Path) -> dict[str, Any]:
    bot = _bot(tmp_path)
    try:
        await prepare_storage(bot)
        for _ in range(2):
            await file_concern(bot)
        return {r.reference: await answers_of(bot, r) for r in await all_reports(bot)}
    finally:
        await bot.engine.dispose()


async def _read_back(tmp_path: Path) -> dict[str, Any]:
    bot = _bot(tmp_path)
    try:
        return {r.reference: await answers_of(bot, r) for r in await all_reports(bot)}
    finally:
        await bot.engine.dispose()


@pytest.fixture
def genuine(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A live database with two reports, and a real backup of it."""
    answers = asyncio.run(_seed(tmp_path))
    copy = tmp_path / "genuine.db"
    made = _run("backup", str(copy), tmp_path=tmp_path)
    assert made.returncode == 0, made.stderr
    return copy, answers


def _tampered(genuine: Path, name: str, *statements: str) -> Path:
    hostile = genuine.with_name(f"{name}.db")
    shutil.copyfile(genuine, hostile)
    with contextlib.closing(sqlite3.connect(hostile)) as db, db:
        db.execute("PRAGMA foreign_keys=OFF")
        for statement in statements:
            db.execute(statement)
    return hostile


def _live(tmp_path: Path) -> dict[str, bytes]:
    data = tmp_path / "data"
    # The database and whatever SQLite keeps beside it; the process lock file is not data.
    return {
        p.name: p.read_bytes()
        for p in data.iterdir()
        if p.name.startswith("bot.db") and p.name != "bot.db.lock"
    }


def _assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Refused: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_a_genuine_backup_is_restored_and_its_log_verifies(tmp_path, genuine):
    copy, answers = genuine
    restored = _run("restore", str(copy), tmp_path=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert "OK: the event log's" in restored.stdout
    assert asyncio.run(_read_back(tmp_path)) == answers


TRIGGER = (
    "CREATE TRIGGER keep_quiet AFTER INSERT ON outbox BEGIN "
    "DELETE FROM outbox WHERE id = NEW.id; END"
)
HOSTILE = {
    "trigger": ([TRIGGER], "trigger keep_quiet"),
    "view": (["CREATE VIEW open_cases AS SELECT id FROM reports"], "view open_cases"),
    "unknown revision": (["UPDATE alembic_version SET version_num = '9999'"], "9999"),
    "extra table": (["CREATE TABLE stash (x BLOB)"], "table stash"),
    "extra column": (["ALTER TABLE reports ADD COLUMN copy_to TEXT"], "table reports"),
    "missing column": (["ALTER TABLE reports DROP COLUMN acknowledged_by"], "table reports"),
    "extra index": (["CREATE INDEX ix_spy ON people (email)"], "index ix_spy"),
    "missing index": (["DROP INDEX ix_outbox_next_attempt_at"], "ix_outbox_next_attempt_at"),
    "alembic_version a view": (
        [
            "DROP TABLE alembic_version",
            "CREATE VIEW alembic_version AS SELECT '0008' AS version_num",
        ],
        "alembic_version",
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_tampered_backup_is_refused_in_one_line_and_the_live_database_kept(
    tmp_path, genuine, case
):
    copy, answers = genuine
    statements, named = HOSTILE[case]
    hostile = _tampered(copy, case.replace(" ", "-"), *statements)
    before = _live(tmp_path)
    result = _run("restore", str(hostile), tmp_path=tmp_path)
    _assert_refused(result, str(hostile), named)
    assert _live(tmp_path) == before
    assert not list((tmp_path / "data").glob("bot.db.restoring*"))
    assert asyncio.run(_read_back(tmp_path)) == answers


def _three_million(name: str) -> str:
    numbers = f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})"  # noqa: S608
    return f"{numbers} SELECT {name} FROM n"  # noqa: S608 (test data, no input)


@pytest.mark.parametrize(
    "case",
    [
        # The case: the table the old check read, replaced by a view of 3 million rows.
        (
            "DROP TABLE reports",
            "CREATE VIEW reports AS " + _three_million("randomblob(120) AS answers_enc"),
        ),
        # 3 million rows stored, in a table of its own.
        ("CREATE TABLE filler (x INTEGER)", "INSERT INTO filler " + _three_million("i")),
    ],
    ids=["view", "table"],
)
def test_a_three_million_row_backup_is_refused_in_bounded_memory(tmp_path, genuine, case):
    copy, _ = genuine
    hostile = _tampered(copy, "huge", *case)
    before = _live(tmp_path)
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("not a database\n")
    baseline, imports_only = _restore_measured(not_a_database, tmp_path)
    _assert_refused(baseline, "not a SQLite database")

    result, peak = _restore_measured(hostile, tmp_path)
    _assert_refused(result, str(hostile))
    assert peak - imports_only < MEMORY_BUDGET_KB, (peak, imports_only)
    assert _live(tmp_path) == before


def test_a_backup_at_an_older_known_revision_is_restored_and_brought_up_to_date(tmp_path, genuine):
    # Last year's backup: the schema of an earlier migration, exactly. It is accepted, then
    # migrated forward at once, as `run` would at its next start.
    older = tmp_path / "older.db"
    command.upgrade(alembic_config(f"sqlite+aiosqlite:///{older}"), "0007")
    restored = _run("restore", str(older), tmp_path=tmp_path)
    assert restored.returncode == 0, restored.stderr
    head = head_revision()  # the newest migration, whichever that is now
    assert head is not None and head != "0007"
    assert "schema 0007" in restored.stdout and f"brought up to date ({head})" in restored.stdout
    assert "OK: the event log's" in restored.stdout
    with sqlite3.connect(tmp_path / "data" / "bot.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
    # ...and that older schema with a trigger added is refused like any other.
    planted = _tampered(older, "older-trigger", TRIGGER)
    _assert_refused(_run("restore", str(planted), tmp_path=tmp_path), "trigger keep_quiet")
