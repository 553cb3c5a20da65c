"""The drills of a term, as the governors' summary shows them: numbers only (never who), from
`drills.drill_results`. A drill is never a report, so this is the only place it is counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from statistics import median

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.drills import channel_name, drill_results
from bot.cases.response_times import duration
from bot.words import strings


async def drill_section(
    session: AsyncSession, first: date, last: date
) -> Sequence[tuple[str, str]]:
    """(label, value) pairs for the drills sent from `first` to `last`; none without drills."""
    drills = await drill_results(session, first=first, last=last)
    if not drills:
        return []
    acknowledged = [d.took for d in drills if d.took is not None]
    took = (
        timedelta(seconds=median(t.total_seconds() for t in acknowledged)) if acknowledged else None
    )
    people = sum(len(d.people) for d in drills)
    unreached = Counter(
        channel for d in drills for person in d.people for channel, _ in person.unreachable
    )
    unreachable = ", ".join(
        f"{channel_name(channel)}: {n}" for channel, n in sorted(unreached.items())
    )
    return [
        (
            strings.SUMMARY_DRILLS,
            strings.SUMMARY_DRILLS_VALUE.format(
                n=len(drills),
                acknowledged=len(acknowledged),
                took=duration(took),
                people=people,
                third=sum(1 for d in drills if d.highest_level >= 2),
            ),
        ),
        (strings.SUMMARY_DRILLS_UNREACHABLE, unreachable or strings.SUMMARY_DRILLS_ALL_REACHED),
    ]
