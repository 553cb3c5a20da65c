"""Every statement on a school's records is kept to one school: the one place that does it.

A session is made for one school (`school_sessions`), for the whole trust (`trust_sessions`:
the trust's own views, which record every look) or for neither (`storage.db.session_factory`:
the trust-wide tables only, such as the platforms' addresses and the web chat's sessions).
Whatever the code asks, through the ORM or in Core:

- a read, change or deletion of a school's table in a school's session sees that school's
  rows alone (the ORM's loader criteria on every `SchoolRecord`, or a WHERE on the table);
- a new row is the session's school's, whether it is added to the session or inserted;
- in a session of no school, any statement on a school's table is refused (`Unscoped`): a
  query that forgot its school fails rather than reading every school's records.

A statement built once for speed (a Core statement every turn runs) says which school by a
`school` bind parameter in its WHERE (`SCHOOL_PARAM`; an INSERT by its `school_id` column's),
made with `bound`; this fills the parameters, having checked once that the statement has them.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from sqlalchemy import TableClause, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import visitors
from sqlalchemy.sql.dml import Delete, Insert, Update
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.util import find_tables

from storage.models import Base, SchoolRecord

# The school of a deployment that serves one: the migration that brought schools made it.
ONE_SCHOOL: Final = 1
# The row of `schools` that keeps the address book of a trust's deployment's chat platforms
# (one Slack workspace or Teams registration for all its schools): not a school, and never a
# school's key (a key is lower-case letters, digits and hyphens), so never listed as one.
TRUST_CHANNELS_KEY: Final = "~channels"
SCHOOL: Final = "school_id"  # in session.info: the school's id, or ALL_SCHOOLS
# In session.info of a school of a trust's deployment: the id of the trust's address book (its
# row TRUST_CHANNELS_KEY), which the school's session may read (`in_address_book`).
BOOK: Final = "address_book"
ALL_SCHOOLS: Final = "all"
# The execution option of a prebuilt statement that binds its school itself, and the name of
# its parameter (not the column's name, which an UPDATE keeps for its SET clause).
SCHOOL_BOUND: Final = "school_bound"
SCHOOL_PARAM: Final = "school"
SCHOOL_TABLES: Final = frozenset(
    mapper.local_table
    for mapper in Base.registry.mappers
    if issubclass(mapper.class_, SchoolRecord)
)


class Unscoped(RuntimeError):
    """A statement on a school's records without a school to keep it to: a bug, never data."""


def school_sessions(engine: AsyncEngine, school_id: int | None) -> async_sessionmaker[AsyncSession]:
    """Sessions that see, change and add one school's records only. With `school_id` None the
    school is not known yet (`assign_school` gives it, once its row is found): until then they
    are sessions of no school, which refuse every statement on a school's records."""
    return async_sessionmaker(engine, expire_on_commit=False, info={SCHOOL: school_id})


def assign_school(sessions: async_sessionmaker[AsyncSession], school_id: int) -> None:
    """The school of `school_sessions(engine, None)`, for every session made from now on."""
    sessions.kw["info"][SCHOOL] = school_id


def assign_address_book(sessions: async_sessionmaker[AsyncSession], book_id: int) -> None:
    """The trust's address book, for every session made from now on: a school of a trust's
    deployment reaches its people on the trust's Slack and Teams (`in_address_book`)."""
    sessions.kw["info"][BOOK] = book_id


@contextmanager
def in_address_book(session: AsyncSession) -> Iterator[AsyncSession]:
    """`session`, kept for a moment to where the chat platforms' addresses are: the trust's
    address book for a school of a trust's deployment (one Slack workspace or Teams registration
    for all its schools), else the school's own records, unchanged. To read: nothing is
    flushed meanwhile, so no row of the school's can be written as the book's."""
    book = session.info.get(BOOK)
    if book is None:
        yield session
        return
    school = session.info.get(SCHOOL)
    if not isinstance(school, int):
        raise Unscoped("only a school's session reads the trust's address book")
    session.info[SCHOOL] = book
    try:
        with session.no_autoflush:
            yield session
    finally:
        session.info[SCHOOL] = school


def school_of_sessions(sessions: async_sessionmaker[AsyncSession]) -> int | None:
    """The school `school_sessions` keep to; None while it is not known yet."""
    school = sessions.kw["info"].get(SCHOOL)
    return school if isinstance(school, int) else None


def trust_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that see every school's records: the trust's views, and upkeep of them all.
    A row added in one must say its school."""
    return async_sessionmaker(engine, expire_on_commit=False, info={SCHOOL: ALL_SCHOOLS})


def school_of(session: AsyncSession | Session) -> int | str | None:
    """The session's school: its id, ALL_SCHOOLS, or None for a session of no school."""
    return session.info.get(SCHOOL)


@contextmanager
def acting_for(session: AsyncSession, school_id: int) -> Iterator[None]:
    """A trust session kept to one school for a moment: to write that school's records (an
    entry in its event log) amid upkeep of every school's."""
    if session.info.get(SCHOOL) != ALL_SCHOOLS:
        raise Unscoped("only a trust session acts for a school")
    session.info[SCHOOL] = school_id
    try:
        yield
    finally:
        session.info[SCHOOL] = ALL_SCHOOLS


def bound(statement: Any) -> Any:
    """A prebuilt statement that keeps itself to the school by a `school` parameter
    (`.where(table.c.school_id == bindparam(SCHOOL_PARAM))`), or an INSERT by its column."""
    keys = _school_keys(statement)
    if not keys:
        raise Unscoped(f"a statement marked bound has no {SCHOOL_PARAM} parameter: {statement}")
    marked = statement.execution_options(**{SCHOOL_BOUND: True})
    _BOUND[marked] = keys
    return marked


# Each bound statement, and the parameters that name its school.
_BOUND: weakref.WeakKeyDictionary[Any, tuple[str, ...]] = weakref.WeakKeyDictionary()


@event.listens_for(Session, "do_orm_execute")
def _keep_to_school(state: ORMExecuteState) -> None:
    school = state.session.info.get(SCHOOL)
    if state.execution_options.get(SCHOOL_BOUND):
        keys = _BOUND.get(state.statement)
        if keys is None:
            raise Unscoped("a statement is marked bound but was not made by storage.scope.bound")
        _fill_school(state, _one_school(school), keys)
        return
    if school is None:
        if _school_tables_in(state.statement):
            raise Unscoped(
                f"a statement on a school's records in a session of no school: {_name(state)}"
            )
        return
    if school == ALL_SCHOOLS:
        return
    statement = state.statement
    if isinstance(statement, Insert):
        if statement.table in SCHOOL_TABLES:
            if state.parameters:
                _fill_school(state, school, (SCHOOL,))
            else:
                state.statement = statement.values({SCHOOL: school})
        return
    if state.is_orm_statement:
        # Every SchoolRecord wherever it appears: joined, in a subquery, or an aliased copy.
        state.statement = statement.options(
            with_loader_criteria(
                SchoolRecord, lambda cls: cls.school_id == school, include_aliases=True
            )
        )
        return
    if isinstance(statement, Update | Delete):
        if statement.table in SCHOOL_TABLES:
            state.statement = statement.where(statement.table.c.school_id == school)
        return
    if _school_tables_in(statement):
        raise Unscoped(
            "a Core statement on a school's records must bind its school (storage.scope.bound): "
            f"{_name(state)}"
        )


@event.listens_for(Session, "before_flush")
def _rows_added_are_the_schools(session: Session, _context: Any, _instances: Any) -> None:
    school = session.info.get(SCHOOL)
    for row in session.new:
        if not isinstance(row, SchoolRecord):
            continue
        if school is None:
            raise Unscoped(f"a {type(row).__name__} added in a session of no school")
        if school == ALL_SCHOOLS:
            if row.school_id is None:
                raise Unscoped(f"a {type(row).__name__} added for the trust must say its school")
        elif row.school_id is None:
            row.school_id = school
        elif row.school_id != school:
            raise Unscoped(
                f"a {type(row).__name__} of school {row.school_id} added in the session of "
                f"school {school}"
            )


def _one_school(school: int | str | None) -> int:
    if school is None or school == ALL_SCHOOLS:
        raise Unscoped(f"a statement bound to one school, in a session of {school or 'no school'}")
    return int(school)


def _fill_school(state: ORMExecuteState, school: int | str, keys: tuple[str, ...]) -> None:
    named = dict.fromkeys(keys, school)
    parameters = state.parameters
    if parameters is None or isinstance(parameters, Mapping):
        state.parameters = {**(parameters or {}), **named}
    else:  # executemany: each row's
        state.parameters = [{**row, **named} for row in parameters]


def _school_keys(statement: Any) -> tuple[str, ...]:
    """The parameter that names a bound statement's school: its own (in a WHERE, or an
    INSERT's `values`), else an INSERT's column, which it takes from the parameters. Only one:
    a parameter named as a column would be SET by an UPDATE in the same statement (a CTE)."""
    if any(
        isinstance(element, BindParameter) and element.key == SCHOOL_PARAM
        for element in visitors.iterate(statement)
    ):
        return (SCHOOL_PARAM,)
    if isinstance(statement, Insert) and statement.table in SCHOOL_TABLES:
        return (SCHOOL,)
    return ()


def _school_tables_in(statement: Any) -> set[TableClause]:
    found = find_tables(
        statement, include_aliases=True, include_joins=True, include_selects=True, include_crud=True
    )
    return {table for table in found if table in SCHOOL_TABLES}


def _name(state: ORMExecuteState) -> str:
    return str(state.statement).split("\n", 1)[0][:200]
