"""A trust's seeded store kept for later runs of the morning (bench/trust_processes.py
--seeded-copy NAME).

Seeding 200,000 reports through the real flows takes about 40 minutes on a 2-core machine, and
a run of the morning changes the store it runs on (this year's campaigns, the reporters'
reports), so a second run cannot start from where the first ended. The first run with a name
keeps a copy of the store as it was seeded, in a database of that name; a later run with the
same name and the same shape (schools, staff, reports) starts from a fresh copy of it instead
of seeding again. PostgreSQL copies a database whole (CREATE DATABASE ... TEMPLATE, as files),
in seconds rather than minutes.

The copy carries the encryption key its reports were sealed with, in a table of its own
(`bench_seeded`) that the run's database drops once it has read it: a bench store only, never
a school's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from common import BenchFailure, connected  # bench/ is on sys.path when run
from sqlalchemy import text
from sqlalchemy.engine import make_url

NAME = re.compile(r"[a-z0-9_]*bench[a-z0-9_]*")  # a plain name, and one made for the bench


@dataclass(frozen=True)
class Shape:
    schools: int
    staff: int
    reports: int


@dataclass(frozen=True)
class Seeded:
    key: str  # the ENCRYPTION_KEY its reports were sealed with
    filed: int


def check_name(name: str) -> str | None:
    """What is wrong with `name` as a kept store's database, if anything."""
    if not NAME.fullmatch(name):
        return 'lower-case letters, digits and "_" only, with "bench" in it (it is dropped)'
    return None


async def copied(url: str, name: str, shape: Shape) -> Seeded | None:
    """The kept store `name`, copied over the run's database at `url`; None when there is no
    kept store of that name (the run seeds, then keeps one)."""
    target = _database(url)
    async with connected(_on(url, "postgres")) as server:
        found = await server.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
    if not found:
        return None
    async with connected(_on(url, name)) as kept:
        query = text("SELECT key, schools, staff, reports, filed FROM bench_seeded")
        row = (await kept.execute(query)).one()
    theirs = Shape(row.schools, row.staff, row.reports)
    if theirs != shape:
        raise BenchFailure(
            f"the kept store {name} was seeded for {theirs}, not {shape}: "
            f"drop it (dropdb {name}) or name another"
        )
    await _copy(url, source=name, into=target)
    await _forget_key(url)
    return Seeded(row.key, row.filed)


async def keep(url: str, name: str, shape: Shape, seeded: Seeded) -> None:
    """Keep the run's database at `url`, as seeded, as the database `name` (which must not
    exist yet)."""
    async with connected(url) as connection:
        await connection.execute(
            text(
                "CREATE TABLE bench_seeded (key text NOT NULL, schools integer NOT NULL, "
                "staff integer NOT NULL, reports integer NOT NULL, filed integer NOT NULL)"
            )
        )
        await connection.execute(
            text("INSERT INTO bench_seeded VALUES (:key, :schools, :staff, :reports, :filed)"),
            {
                "key": seeded.key,
                "schools": shape.schools,
                "staff": shape.staff,
                "reports": shape.reports,
                "filed": seeded.filed,
            },
        )
    await _copy(url, source=_database(url), into=name, replace=False)
    await _forget_key(url)


async def settle(url: str) -> None:
    """The store as a school's is on an ordinary morning: vacuumed, its statistics current and
    its pages written out. Straight after seeding (or a copy) PostgreSQL would otherwise vacuum
    and analyse the new rows, and write out the copy's pages, while the morning is measured."""
    async with connected(url, autocommit=True) as connection:
        await connection.execute(text("VACUUM (ANALYZE)"))
        await connection.execute(text("CHECKPOINT"))


async def _copy(url: str, *, source: str, into: str, replace: bool = True) -> None:
    """A database is made or dropped from outside it: from the server's maintenance one."""
    async with connected(_on(url, "postgres"), autocommit=True) as server:
        if replace:
            await server.execute(text(f'DROP DATABASE IF EXISTS "{into}" WITH (FORCE)'))
        await server.execute(
            text(f'CREATE DATABASE "{into}" TEMPLATE "{source}" STRATEGY FILE_COPY')
        )


async def _forget_key(url: str) -> None:
    async with connected(url) as connection:
        await connection.execute(text("DROP TABLE IF EXISTS bench_seeded"))


def _database(url: str) -> str:
    name = make_url(url).database or ""
    problem = check_name(name) if not name.startswith("osb_test_") else None
    if problem:
        raise BenchFailure(f"the run's database {name!r}: {problem}")
    return name


def _on(url: str, database: str) -> str:
    """`url` with another database (its password kept: str() of a URL masks it)."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)
