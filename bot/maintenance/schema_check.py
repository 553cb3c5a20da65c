"""Is a SQLite file exactly a database of the bot? Its schema, read from `sqlite_master` alone,
must equal the one the migrations build at its Alembic revision: the same tables, columns,
indexes and constraints, and no trigger or view (the bot has none; one planted in a backup
would run inside the live bot, deleting alerts as they are queued, say).

A hostile file is an attack surface in itself, so it is opened read-only with untrusted schema
functions off, an authorizer that lets our statements read only `sqlite_master`,
`alembic_version` and `reports` (and those two only once the schema is known to be ours), and
a ceiling on SQLite's memory: nothing in the file runs, and nothing in it makes the check read
millions of rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from storage.db import create_engine
from storage.migrate import known_revisions, upgrade

# SQLite's own memory for the whole process, from the check on. It can only be lowered, never
# lifted again, so it is set in the short `restore` process only; SQLite in it (this check, the
# migrations, the event log's verification) needs a few megabytes.
HEAP_LIMIT = 64 * 1024 * 1024
MAX_OBJECTS = 1_000  # the bot's schema has about 50
MAX_SQL = 20_000  # characters in one CREATE statement; the bot's longest is under 2,000

Schema = dict[tuple[str, str], tuple[str, str | None]]  # (type, name) -> (table, sql)


class NotOurSchema(Exception):
    """The file is not exactly a database of the bot; the message says what differs."""


@contextlib.contextmanager
def open_untrusted(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a file nobody vouches for."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        setconfig = getattr(db, "setconfig", None)  # Python 3.12+
        if setconfig is not None:
            setconfig(sqlite3.SQLITE_DBCONFIG_DEFENSIVE, True)  # type: ignore[attr-defined]
            setconfig(sqlite3.SQLITE_DBCONFIG_ENABLE_TRIGGER, False)  # type: ignore[attr-defined]
            setconfig(sqlite3.SQLITE_DBCONFIG_ENABLE_VIEW, False)  # type: ignore[attr-defined]
        db.execute("PRAGMA trusted_schema=OFF")
        db.execute("PRAGMA query_only=ON")
        db.execute("PRAGMA mmap_size=0")
        db.execute("PRAGMA cache_size=-8192")  # KiB: what quick_check may hold at once
        db.execute(f"PRAGMA hard_heap_limit={HEAP_LIMIT}")
        db.set_authorizer(_allow_only(readable={"sqlite_master", "alembic_version", "reports"}))
        yield db
    finally:
        db.close()


def _allow_only(
    *, readable: set[str]
) -> Callable[[int, str | None, str | None, str | None, str | None], int]:
    allowed: dict[int, set[str] | None] = {
        sqlite3.SQLITE_SELECT: None,
        sqlite3.SQLITE_READ: readable,
        sqlite3.SQLITE_FUNCTION: {"length", "substr", "count"},
        sqlite3.SQLITE_PRAGMA: {"quick_check"},
    }

    def authorise(action: int, first: str | None, second: str | None, *_: str | None) -> int:
        if action not in allowed:
            return sqlite3.SQLITE_DENY
        names = allowed[action]
        subject = second if action == sqlite3.SQLITE_FUNCTION else first
        return sqlite3.SQLITE_OK if names is None or subject in names else sqlite3.SQLITE_DENY

    return authorise


def read_schema(db: sqlite3.Connection) -> Schema:
    """Every object in sqlite_master with its normalised SQL; refuses an outsized schema."""
    rows = db.execute(
        "SELECT type, name, tbl_name, length(sql), substr(sql, 1, ?) FROM sqlite_master",
        (MAX_SQL,),
    )
    schema: Schema = {}
    for kind, name, table, length, sql in rows:
        if len(schema) >= MAX_OBJECTS:
            raise NotOurSchema(f"it holds more than {MAX_OBJECTS} tables, indexes and the like")
        if length is not None and length > MAX_SQL:
            raise NotOurSchema(f"the definition of its {kind} {name} is far too long")
        schema[(str(kind), str(name))] = (str(table), _normalised(sql))
    return schema


def _normalised(sql: str | None) -> str | None:
    if sql is None:
        return None  # an index SQLite makes itself for a UNIQUE or PRIMARY KEY constraint
    return re.sub(r" ?([(),]) ?", r"\1", re.sub(r"\s+", " ", sql)).strip()


def candidate_revision(db: sqlite3.Connection, schema: Schema) -> str:
    """The Alembic revision of a file whose schema has no trigger or view (read only then)."""
    for (kind, name), _ in sorted(schema.items()):
        if kind in {"trigger", "view"}:
            raise NotOurSchema(f"it holds a {kind} {name}, and the bot's database has none")
    if ("table", "alembic_version") not in schema:
        raise NotOurSchema("it has no alembic_version table, so it is not a backup of the bot")
    rows = db.execute("SELECT version_num FROM alembic_version LIMIT 2").fetchall()
    if len(rows) != 1 or not isinstance(rows[0][0], str):
        raise NotOurSchema("its alembic_version table does not hold exactly one revision")
    revision: str = rows[0][0]
    known = known_revisions()
    if revision not in known:
        shown = repr(revision[:40])
        raise NotOurSchema(
            f"its schema revision {shown} is not one this version of the bot knows "
            f"({known[0]} to {known[-1]}); restore it with the version of the bot that made it"
        )
    return revision


def expected_schema(revision: str) -> Schema:
    """The schema the migrations build at `revision`, in a scratch database."""
    with tempfile.TemporaryDirectory(prefix="osb-schema-") as folder:
        path = Path(folder) / "expected.db"
        asyncio.run(_build(path, revision))
        with contextlib.closing(sqlite3.connect(path)) as db:
            return read_schema(db)


async def _build(path: Path, revision: str) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{path.as_posix()}")
    try:
        await upgrade(engine, revision)
    finally:
        await engine.dispose()


def compare(found: Schema, expected: Schema, revision: str) -> None:
    """Raise NotOurSchema naming the first object that differs."""
    for key in sorted(found.keys() - expected.keys()):
        raise NotOurSchema(f"it has a {key[0]} {key[1]} that schema {revision} does not have")
    for key in sorted(expected.keys() - found.keys()):
        raise NotOurSchema(f"it lacks the {key[0]} {key[1]} of schema {revision}")
    for key in sorted(expected):
        if found[key] != expected[key]:
            raise NotOurSchema(
                f"its {key[0]} {key[1]} is not defined as schema {revision} defines it"
            )
