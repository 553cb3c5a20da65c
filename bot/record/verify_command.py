"""`python -m bot verify-log [--school KEY]`: check each school's event log, or one school's,
and the trust's daily seals of them.

Each school's log is its own chain (bot.record.event_chain), checked on its own: a school
whose log was altered is named, and every other school's is still checked and reported. With
one school (a single-school deployment) its lines are as they always were, no school named.
Then the seals (bot.record.trust_seal), once there are any: their own chain, and each school's
log against its head in the last seal, which names a log rewritten with every hash remade.
Exit status: 0 everything checked is intact, 1 something is not, 2 nothing could be checked.
"""

from __future__ import annotations

import sys

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.record.log_check import LogCheck, verify_log
from bot.record.trust_seal import SealCheck, verify_seals
from storage.migrate import is_current
from storage.models import School
from storage.scope import TRUST_CHANNELS_KEY, school_sessions, trust_sessions


async def verify_logs(engine: AsyncEngine, where: str, *, school: str | None = None) -> int:
    """Check the logs of every school in the database (or of the one whose key is `school`),
    printing what was found; the exit status. `where`: the database, as the messages name it
    (its URL without the password)."""
    try:
        if not await is_current(engine):
            print(
                f"The event log cannot be checked: the database at {where} is not up to date "
                "(run: python -m bot migrate).",
                file=sys.stderr,
            )
            return 2
        async with trust_sessions(engine)() as session:
            schools = list(
                await session.execute(
                    select(School.id, School.key)
                    .where(School.key != TRUST_CHANNELS_KEY)  # the trust's address book
                    .order_by(School.id)
                )
            )
        if school is not None:
            chosen = [s for s in schools if s.key == school]
            if not chosen:
                known = ", ".join(s.key for s in schools)
                print(
                    f"There is no school {school!r} in the database (it has: {known}).",
                    file=sys.stderr,
                )
                return 2
            schools = chosen
        checks = []
        for one in schools:
            async with school_sessions(engine, one.id)() as session:
                checks.append((one.key, await verify_log(session)))
        async with trust_sessions(engine)() as session:
            sealed = await verify_seals(session, school=school)
    except SQLAlchemyError as error:
        print(f"The event log at {where} cannot be read: {error}", file=sys.stderr)
        return 2
    named = len(checks) > 1 or school is not None
    statuses = [_report(check, f"School {key}: " if named else "") for key, check in checks]
    return max(*statuses, _report_seals(sealed, school))


def _report_seals(check: SealCheck, school: str | None) -> int:
    if check.broken is not None:
        print(f"Trust seal: BROKEN: {check.broken}.", file=sys.stderr)
        return 1
    for key, why in check.schools.items():
        print(f"School {key}: BROKEN against the trust's seal: {why}.", file=sys.stderr)
    if check.schools or check.last is None:
        return 1 if check.schools else 0
    whose = "every school's log matches" if school is None else f"school {school}'s log matches"
    seals = "seal is" if check.seals == 1 else f"{check.seals} daily seals are"
    print(
        f"Trust seal: OK: the {seals} intact, and {whose} the last, of {check.last.day} "
        f"(its hash {check.last.hash})."
    )
    return 0


def _report(check: LogCheck, school: str) -> int:
    if not check.ok:
        if check.report_problem:
            print(f"{school}BROKEN: {check.reason}.", file=sys.stderr)
            print(
                f"{school}The event log's {check.checked} entries are intact; the "
                f"{check.reports} report(s) before that one match it.",
                file=sys.stderr,
            )
            return 1
        print(f"{school}BROKEN: the event log has been altered: {check.reason}.", file=sys.stderr)
        if check.checked:
            print(f"{school}The {check.checked} entries before that are intact.", file=sys.stderr)
        return 1
    entries = "entry is" if check.checked == 1 else "entries are"
    if check.reports:
        matches = (
            "the report matches" if check.reports == 1 else f"the {check.reports} reports match"
        )
        print(
            f"{school}OK: the event log's {check.checked} {entries} intact, and {matches} what "
            "it recorded."
        )
    else:
        print(f"{school}OK: the event log's {check.checked} {entries} intact.")
    if check.unchained:
        older = "older entry" if check.unchained == 1 else "older entries"
        print(
            f"{school}({check.unchained} {older}, written before the log was chained, not checked.)"
        )
    if check.head_hash:
        # Kept somewhere else, this shows later that the log was not rewritten up to here.
        print(f"{school}Entry {check.checked} has hash {check.head_hash}.")
    return 0
