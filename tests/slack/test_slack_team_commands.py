"""The team's commands with words after them through `/online-safety` in Slack, over loopback
with signed requests: `closure …` keeps its date and reason (as typed in the DM), `closure list`
and `closure remove` reach the closures, and `governors summary` puts its chart in the DM."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from bot.cases.summary_chart import HEIGHT, WIDTH
from storage.models import SchoolClosure
from tests.slack.conftest import DEPUTY_1, DSL, HEAD, STAFF
from tests.slack.filing import walk_dm
from tests.slack.world import text_of
from tests.support.walk import CONCERN_TAIL

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


def _said(world, user: str) -> str:
    return " ".join(text_of(m) for m in world.api.posts_to(user))


async def _closures(world) -> list[tuple[str, str]]:
    async with world.bot.router.sessions() as session:
        rows = await session.scalars(select(SchoolClosure).order_by(SchoolClosure.day))
        return [(row.day.isoformat(), row.reason) for row in rows]


async def test_the_slash_command_records_lists_and_removes_a_closure(world):
    response = await world.command(DSL, "closure 2026-11-25 Heating failure")
    assert response.status == 200
    await world.settle()
    assert "the school is closed on Wednesday 25 November 2026 (Heating failure)" in _said(
        world, DSL
    )
    assert await _closures(world) == [("2026-11-25", "Heating failure")]

    await world.command(HEAD, "closure list")
    await world.settle()
    assert "Wednesday 25 November 2026: Heating failure" in _said(world, HEAD)

    await world.command(STAFF, "closure remove 2026-11-25")  # refused: the DSL team's only
    await world.settle()
    assert "can remove a school closure" in _said(world, STAFF)
    assert await _closures(world) == [("2026-11-25", "Heating failure")]

    # A deputy (the fake world gives every command one trigger_id: a second from the same
    # person would be taken, rightly, for Slack's retry of the first).
    await world.command(DEPUTY_1, "closure remove 2026-11-25")
    await world.settle()
    assert "Removed: Wednesday 25 November 2026" in _said(world, DEPUTY_1)
    assert await _closures(world) == []


async def test_the_slash_command_governors_summary_sends_the_chart_to_the_dm(world):
    await world.dm(STAFF, "report")
    await world.settle()
    answers = {
        "immediate_danger": "no",
        "category": "commerce",
        "commerce_kind": "scam",
        **CONCERN_TAIL,
    }
    await walk_dm(world, STAFF, answers, in_order=False)
    await world.click(STAFF, "__submit")
    await world.settle()

    await world.command(HEAD, "governors summary")
    await world.settle()
    assert "summary for governors" in _said(world, HEAD)
    (chart,) = world.api.files_in("D" + HEAD)
    assert chart.data is not None and chart.alt_txt
    assert Image.open(io.BytesIO(chart.data)).size == (WIDTH, HEIGHT)


async def test_help_in_slack_names_the_teams_commands_to_the_team_only(world):
    await world.command(DSL, "help")
    await world.command(STAFF, "help")
    await world.settle()
    to_dsl, to_staff = _said(world, DSL), _said(world, STAFF)
    assert '"on call"' in to_dsl and '"governors summary"' in to_dsl
    # Typed words in angle brackets are shown, escaped, never taken for Slack's markup.
    assert "&lt;reason&gt;" in to_dsl and "<reason>" not in to_dsl
    assert "on call" not in to_staff and "closure" not in to_staff
