"""What the safeguarding team types outside a report: `cases`, `low-level concerns`, `on call`,
`stats`, `governors summary` (the governors too), `closure …` (and its list and removal),
`cover me …`, and anyone's `my reports`. Each answer checks the person's role itself, on every
ask (the router only recognises the words)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import closure_list, closures, cover, low_level, on_call, response_times, summary
from bot.cases.chat import CaseCommands
from bot.delivery.messages import Outbound
from bot.school.config import SchoolConfig
from bot.school.roles import Role
from bot.words import strings

CASES = {"__cases", *strings.CASES_WORDS}
MINE = {"__mine", *strings.MINE_WORDS}


async def answer(
    cases: CaseCommands,
    session: AsyncSession,
    *,
    command: str,
    text: str,
    email: str,
    now: datetime,
) -> Sequence[Outbound] | None:
    """The answer to a typed team command, or None when `command` is none of them."""
    if command in CASES:
        return await cases.list_open(session, email, now)
    if command in strings.LOW_LEVEL_WORDS:  # their own log, never among the cases
        return await low_level.list_log(session, cases.desk, cases.cards, email, now)
    if command in strings.ON_CALL_WORDS:
        return await on_call.answer(session, cases.desk.school, email, now)
    if command in strings.STATS_WORDS:  # numbers only: no report's content or names
        return await response_times.answer(session, cases.desk.school, email, now)
    if command in strings.SUMMARY_WORDS:  # numbers only, for governors too
        return await summary.answer(session, cases.desk.school, cases.cards.kind_label, email, now)
    listed = await closure_list.command(
        session, school=cases.desk.school, cipher=cases.desk.cipher, text=text, email=email, now=now
    )
    if listed is not None:
        return listed
    closed = await closures.command(
        session, school=cases.desk.school, cipher=cases.desk.cipher, text=text, email=email, now=now
    )
    if closed is not None:
        return closed
    desk = cases.desk
    covered = await cover.command(
        session, school=desk.school, channels=desk.channels, text=text, email=email, now=now
    )
    if covered is not None:
        return covered
    if command in MINE:
        return await cases.my_reports(session, email)
    return None


def help_for(school: SchoolConfig, email: str) -> str:
    """What `help` adds for this person, by their role in the school file: the safeguarding
    team's commands, or the governors' summary; nothing for anyone else."""
    person = school.person(email)
    if person is not None and person.handles_cases:
        return "\n\n" + strings.HELP_TEAM
    if person is not None and person.has_role(Role.GOVERNOR):
        return "\n\n" + strings.HELP_GOVERNOR
    return ""
