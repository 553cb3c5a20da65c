"""Refusals are all recorded, but a person repeating one does not flood the event log: the first
is logged at once, the repeats are counted and logged as one entry with the count.

Driven through the real web export route (HTTP over loopback) and the chat's case buttons.
Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import Bot
from bot.record import scheduled as jobs
from bot.record.events import verify_log
from bot.server import create_app
from storage.models import Event
from tests.support.alerts import DSL, file_concern
from tests.support.harness import Chat
from tests.support.reports import only_report

PROBER = "s.nakamura@example.org"  # staff: may not view or export the case
CLICKER = "l.petrakis@example.org"  # staff too, refused through the chat's buttons
TRIES = 200


async def refusals(bot: Bot, email: str) -> list[dict[str, Any]]:
    async with bot.router.sessions() as session:
        found = await session.scalars(
            select(Event)
            .where(Event.kind == "refused", Event.actor_email == email)
            .order_by(Event.seq)
        )
        return [{"report_id": e.report_id, **e.detail} for e in found]


def counted(entries: list[dict[str, Any]]) -> int:
    """How many refusals the entries stand for: one each, or the repeats they count."""
    return sum(int(e.get("repeats", 1)) for e in entries)


async def probe_exports(bot: Bot, case: int, times: int) -> None:
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        response = await client.post("/api/web/login", json={"email": PROBER})
        assert response.status == 200, await response.text()
        for _ in range(times):
            response = await client.get(f"/api/web/cases/{case}/chronology.csv")
            assert response.status == 403


async def test_two_hundred_refusals_leave_two_entries_that_count_them_all(make_bot, clock):
    bot = await make_bot()
    await file_concern(bot)
    case = (await only_report(bot)).id

    await probe_exports(bot, case, TRIES)
    clicker = Chat(bot, CLICKER)
    for _ in range(50):
        await clicker.click(f"case:view:{case}")
        clicker.assert_reply("Only the DSL")

    # At once: the first of each person's refusals, nothing more.
    assert await refusals(bot, PROBER) == [{"report_id": case, "action": "export"}]
    assert await refusals(bot, CLICKER) == [{"report_id": case, "action": "view"}]

    clock.advance(minutes=11)  # the window closes; the scheduled sweep writes the counts
    assert await jobs.flush_refusals(bot.jobs) == 2
    probed, clicked = await refusals(bot, PROBER), await refusals(bot, CLICKER)
    assert len(probed) == 2 and len(clicked) == 2
    assert probed[1]["repeats"] == TRIES - 1 and probed[1]["action"] == "export"
    assert probed[1]["report_id"] == case
    assert {"first_at", "last_at"} <= probed[1].keys()
    assert clicked[1]["repeats"] == 49 and clicked[1]["action"] == "view"
    assert (counted(probed), counted(clicked)) == (TRIES, 50)  # nothing lost
    assert await jobs.flush_refusals(bot.jobs) == 0  # flushed once

    async with bot.router.sessions() as session:
        assert (await verify_log(session)).ok


async def test_a_refusal_after_the_window_writes_the_count_then_itself(make_bot, clock):
    bot = await make_bot()
    await file_concern(bot)
    case = (await only_report(bot)).id
    clicker = Chat(bot, CLICKER)
    for _ in range(5):
        await clicker.click(f"case:view:{case}")
    clock.advance(minutes=11)
    await clicker.click(f"case:view:{case}")  # no sweep ran: this one flushes the count

    entries = await refusals(bot, CLICKER)
    assert [e.get("repeats") for e in entries] == [None, 4, None]
    assert counted(entries) == 6
    clock.advance(minutes=11)
    assert await jobs.flush_refusals(bot.jobs) == 0  # the last was alone in its window


async def test_the_chronology_shows_how_many_times_it_was_refused(make_bot, clock):
    bot = await make_bot()
    await file_concern(bot)
    case = (await only_report(bot)).id
    await probe_exports(bot, case, 30)
    clock.advance(minutes=11)
    await jobs.flush_refusals(bot.jobs)

    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        assert (await client.post("/api/web/login", json={"email": DSL})).status == 200
        response = await client.get(f"/api/web/cases/{case}/chronology.csv")
        assert response.status == 200
        table = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    refused = [row for row in table if len(row) == 4 and row[2] == "Was refused an action"]
    assert len(refused) == 2
    assert refused[0][3] == "Tried: export"
    assert refused[1][3].startswith("Tried: export, 29 more times between ")


async def test_refusals_at_the_same_moment_are_all_counted(make_bot, clock):
    """Requests at once (as from several replicas) count into one tally: none lost, none
    logged twice."""
    bot = await make_bot()
    await file_concern(bot)
    case = (await only_report(bot)).id
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        assert (await client.post("/api/web/login", json={"email": PROBER})).status == 200
        path = f"/api/web/cases/{case}/chronology.csv"
        responses = await asyncio.gather(*(client.get(path) for _ in range(30)))
    assert [r.status for r in responses] == [403] * 30
    assert len(await refusals(bot, PROBER)) == 1
    clock.advance(minutes=11)
    await jobs.flush_refusals(bot.jobs)
    assert counted(await refusals(bot, PROBER)) == 30
