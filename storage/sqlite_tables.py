"""Changing a SQLite table the way SQLite allows: made again, under a new name, from its own
CREATE TABLE text changed, its rows copied, then put in the old one's place with its indexes.
For the migrations that change a table's keys or NOT NULL columns (SQLite's ALTER TABLE
cannot); the caller runs it with foreign keys off (storage/migrate.py does)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TableText:
    created: str  # the table's CREATE TABLE text, as SQLite keeps it
    indexes: tuple[str, ...]  # each of its own indexes' CREATE INDEX text
    columns: tuple[str, ...]  # its columns, in order


def table_text(bind: Any, table: str) -> TableText:
    created = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    indexes = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY name",
        (table,),
    )
    columns = bind.exec_driver_sql(f'PRAGMA table_info("{table}")')
    return TableText(created, tuple(row[0] for row in indexes), tuple(row[1] for row in columns))


def remake(
    execute: Callable[[str], object],
    table: TableText,
    name: str,
    create: str,
    *,
    into: str,
    select: str,
) -> None:
    """Make table `name` again with `create` (its CREATE TABLE text, naming `_new_<name>`),
    copy its rows (`INSERT INTO _new_<name> (into) SELECT select FROM name`), and put it in
    the old one's place with the old one's indexes."""
    execute(create)
    execute(f'INSERT INTO "_new_{name}" ({into}) SELECT {select} FROM "{name}"')  # noqa: S608
    execute(f'DROP TABLE "{name}"')
    execute(f'ALTER TABLE "_new_{name}" RENAME TO "{name}"')
    for index in table.indexes:
        execute(index)
