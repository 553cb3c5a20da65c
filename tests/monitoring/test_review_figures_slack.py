"""The review pack in Slack, over loopback with signed requests to the bot and a fake Slack Web
API (tests/slack/world.py): once the year's review is complete, `filtering review` puts its
document (PDF and page) and the CSV of its year's filtering checks into the DM, as files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from bot.monitoring import review
from storage.models import FilteringCheck
from tests.slack.conftest import DSL, PEOPLE, running_world

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it
REVIEW_DAY = datetime(2026, 9, 15, 8, 0, tzinfo=UTC)


@pytest.fixture
async def world(database_url, tmp_path, clock):
    async with running_world(database_url, tmp_path, clock) as running:
        yield running


async def test_the_completed_reviews_pack_reaches_the_dm_as_files(world, clock):
    bot = world.bot
    dsl = PEOPLE[DSL][0]
    async with bot.router.sessions() as session, session.begin():
        for at in (datetime(2026, 3, 3, 10, tzinfo=UTC), datetime(2025, 6, 1, 10, tzinfo=UTC)):
            session.add(
                FilteringCheck(
                    checked_at=at,
                    checked_by="r.adeyemi@example.org",
                    channel="slack",
                    flow_version=1,
                    user_group="pupils",
                    test="testfiltering",
                    results={"adult": "not_blocked"},
                    failed=True,
                )
            )
        found, _ = await review.open_review(
            session, school=bot.school, year=2026, channels=(), now=REVIEW_DAY
        )
        await review.complete(
            session,
            cipher=bot.cipher,
            school=bot.school,
            review=found,
            answers={"checks": "Two checks."},
            email=dsl,
            channels=(),
            now=REVIEW_DAY,
        )
    clock.now = REVIEW_DAY + timedelta(days=1)
    await world.dm(DSL, "filtering review")
    await world.settle()
    await world.until("the pack", lambda: len(world.api.files_in("D" + DSL)) == 3)
    files = {u.filename: u for u in world.api.files_in("D" + DSL)}
    assert set(files) == {
        "filtering-review-2026.pdf",
        "filtering-review-2026.html",
        "filtering-checks-2026.csv",
    }
    assert (files["filtering-review-2026.pdf"].data or b"").startswith(b"%PDF-")
    sheet = (files["filtering-checks-2026.csv"].data or b"").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(sheet)))
    assert [row[0] for row in rows[1:]] == ["2026-03-03"]  # the review's year only
