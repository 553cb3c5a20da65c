"""The filtering check in Slack, over loopback with signed requests to the bot and a fake Slack
Web API (tests/slack/world.py): the scheduled ask reaches the ICT lead's DM with its button,
the check is walked there by step id, a category not blocked files the filtering report and
the DSL is alerted; `checks` puts the CSV of every check into the DSL's DM."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.monitoring.checks_jobs import ask_filtering_checks
from bot.monitoring.checks_schedule import START
from storage.models import Event, Report
from tests.monitoring.checks import CHECK as ICT_CHECK
from tests.slack.conftest import DSL, PEOPLE, running_world
from tests.slack.filing import say, walk_dm
from tests.slack.world import blocks_of, text_of

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it
ICT = "UICT"
# The example's check with terrorist content not blocked (a report is filed) and a ticket.
CHECK = {
    **ICT_CHECK,
    "result_terrorism": "not_blocked",
    "action": "Ticket 4411 raised with the provider",
}


@pytest.fixture
async def world(database_url, tmp_path, clock, monkeypatch):
    monkeypatch.setitem(PEOPLE, ICT, ("r.adeyemi@example.org", "Ravi Adeyemi"))
    async with running_world(database_url, tmp_path, clock) as running:
        yield running


def said(world, user: str) -> str:
    return " ".join(text_of(m) for m in world.api.posts_to(user))


async def test_the_ask_the_check_and_its_report_in_slack(world, clock):
    # Monday 2 November 2026, 09:00 in London: the second autumn half term's first day.
    clock.now = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)
    assert await ask_filtering_checks(world.bot.jobs) == 1
    await world.bot.dispatcher.deliver_due()
    await world.settle()
    (ask,) = [m for m in world.api.posts_to(ICT) if START in str(blocks_of(m))]
    assert "Filtering check due" in text_of(ask)

    await say(world, ICT, START)
    await walk_dm(world, ICT, CHECK)
    await world.click(ICT, "__submit")
    await world.settle()
    async with world.bot.router.sessions() as session:
        (report,) = list(await session.scalars(select(Report)))
    assert report.kind == "filtering" and report.urgent
    assert f"filtering report {report.reference}" in said(world, ICT)
    await world.until("the DSL's alert", lambda: report.reference in said(world, DSL))

    await world.dm(DSL, "checks")
    await world.settle()
    await world.until("the spreadsheet", lambda: world.api.files_in("D" + DSL))
    (upload,) = world.api.files_in("D" + DSL)
    assert upload.filename.startswith("filtering-checks-") and upload.data is not None
    rows = list(csv.DictReader(io.StringIO(upload.data.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["Unlawful terrorist content (CTIRU list)"] == "Not blocked"
    assert rows[0]["Report"] == report.reference
    async with world.bot.router.sessions() as session:
        (shown,) = await session.scalars(
            select(Event).where(Event.kind == "filtering_checks_shown")
        )
    assert shown.detail["channel"] == "slack" and shown.detail["file"] == upload.filename
