"""Who is alerted in the example school, a concern filed on the test channel (tests/support/
harness.py) for the alert, case, record and maintenance tests, and the outbox it queues."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.cases.service import close_case
from storage.models import Outbox, Report
from tests.support.harness import Chat
from tests.support.walk import CONCERN_TAIL, STAFF, start, walk_to_summary

DSL, DEPUTIES = "a.hartley@example.org", {"d.osei@example.org", "p.lindqvist@example.org"}
HEAD, CHAIR, ICT = "m.fenwick@example.org", "j.whitcombe@example.org", "r.adeyemi@example.org"
TEAM = {DSL, *DEPUTIES}


async def file_concern(bot, *, danger: str = "no", **extra) -> Chat:
    """A concern filed by a member of staff; one about an adult at school is an allegation
    that may meet the harm threshold unless `adult_concern_kind` says otherwise."""
    if extra.get("about_adult") == "yes":
        extra.setdefault("adult_concern_kind", "harm")
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {"immediate_danger": danger, "category": "commerce", "commerce_kind": "scam"}
    await walk_to_summary(chat, {**answers, **CONCERN_TAIL, **extra})
    await chat.click("__submit")
    return chat


async def file_filtering_report(bot) -> None:
    """A filtering report of harmful content no pupil saw, its account naming a pupil."""
    chat = Chat(bot, STAFF)
    await start(chat, "filtering")
    await walk_to_summary(
        chat,
        {
            "problem": "harmful_through",
            "pupil_exposed": "no",
            "possibly_illegal": "no",
            "used_by": "pupil",
            "connection": "guest_wifi",
            "device_room": "PC 12, ICT suite",
            "user_account": "Laptop 7, login of pupil Zebedee Q",
            "address": "https://bad.example.com",
            "happened_at": "today 09:40",
            "what_seen": "A video.",
            "actions_taken": "Screen off.",
        },
    )
    await chat.click("__submit")


async def outbox(bot) -> list[Outbox]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(Outbox).order_by(Outbox.id)))


async def close_as_dsl(bot, report_id: int, *, now: datetime, outcome: str = "Resolved.") -> None:
    """The DSL closes the case at `now` (no further action), through the cases' service."""
    async with bot.router.sessions() as session, session.begin():
        case = await session.get(Report, report_id)
        assert case is not None
        await close_case(
            session,
            bot.jobs.desk,
            report=case,
            email=DSL,
            decision="no_further_action",
            outcome=outcome,
            reasons="Done.",
            criteria=[],
            now=now,
        )
