"""`monitoring stats` where a channel matters: in the web chat over its real websocket, with
the chart behind the card's link (made afresh, the role checked on the server each time, a
refusal recorded), and through Slack's `/online-safety monitoring stats` over loopback with
signed requests, the chart uploaded into the DM."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from bot.app import build_bot, prepare_storage
from bot.monitoring.stats import CHART_PATH
from bot.monitoring.stats_chart import HEIGHT, WIDTH
from storage.models import Event, RefusalTally
from tests.slack.conftest import DSL as SLACK_DSL
from tests.slack.conftest import STAFF as SLACK_STAFF
from tests.slack.conftest import running_world
from tests.slack.world import text_of
from tests.support.clock import FakeClock
from tests.web.chat import DSL, STAFF, items, open_chat, serve, sign_in, web_settings


async def test_the_web_chat_shows_the_card_and_its_chart_to_the_team_only(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    bot = build_bot(web_settings(database_url, tmp_path), clock=clock)
    await prepare_storage(bot)
    async with serve(bot) as client:
        assert (await client.get(CHART_PATH)).status == 401  # not signed in
        await sign_in(client, DSL)
        async with open_chat(client) as (dsl, _hello, _first):
            shown = json.dumps(items(await dsl.text("monitoring stats")))
        assert "Monitoring alerts at" in shown and CHART_PATH in shown
        chart = await client.get(CHART_PATH)
        assert chart.status == 200 and chart.content_type == "image/png"
        image = Image.open(io.BytesIO(await chart.read()))
        assert image.size == (WIDTH, HEIGHT)
    async with serve(bot) as other:
        await sign_in(other, STAFF)
        assert (await other.get(CHART_PATH)).status == 403
    async with bot.router.sessions() as session:
        refused = set(
            await session.scalars(select(Event.actor_email).where(Event.kind == "refused"))
        )
        tallied = set(await session.scalars(select(RefusalTally.actor_email)))
    assert STAFF in refused | tallied
    await bot.engine.dispose()


@pytest.mark.one_database  # the channel, not the storage beneath it
async def test_slack_passes_the_command_on_and_uploads_the_chart(database_url, tmp_path, clock):
    async with running_world(database_url, tmp_path, clock) as world:
        await world.command(SLACK_DSL, "monitoring stats")
        await world.command(SLACK_STAFF, "monitoring stats")
        await world.settle()
        await world.until("the chart", lambda: world.api.files_in("D" + SLACK_DSL))
        said = " ".join(text_of(m) for m in world.api.posts_to(SLACK_DSL))
        assert "Monitoring alerts at" in said
        (chart,) = world.api.files_in("D" + SLACK_DSL)
        assert chart.data is not None and chart.alt_txt
        assert Image.open(io.BytesIO(chart.data)).size == (WIDTH, HEIGHT)
        refused = " ".join(text_of(m) for m in world.api.posts_to(SLACK_STAFF))
        assert "Only the DSL, a deputy or the headteacher" in refused
        assert not world.api.files_in("D" + SLACK_STAFF)
