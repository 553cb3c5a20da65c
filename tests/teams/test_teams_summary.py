"""The governors' summary in Teams: the card, then its chart shown inline (within Teams' limits,
as the self-audit's is), with no reference or report words; staff refused, with no chart."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.channels.teams.cards import json_size
from tests.teams.concerns import file_concern, install_for_handlers
from tests.teams.connector import text_of
from tests.teams.test_teams_audit import (
    MESSAGE_LIMIT,
    PICTURE_BYTES_MAX,
    PICTURE_SIDE_MAX,
    png_of,
)
from tests.teams.world import HEAD, STAFF, TeamsWorld

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


async def test_the_summary_and_its_chart_in_teams(world: TeamsWorld):
    await install_for_handlers(world)
    await world.install(STAFF)
    reference = await file_concern(world, "Messages from Zebedee's older cousin.")

    before = len(world.sent_to(HEAD))
    await world.say(HEAD, "governors summary")
    replies = world.sent_to(HEAD)[before:]
    shown = " ".join(text_of(s.body) for s in replies)
    assert "summary for governors" in shown and "Reports by kind" in shown
    assert reference not in shown and "Zebedee" not in shown
    (sent,) = [s for s in replies if png_of(s.body)]
    picture = png_of(sent.body)
    assert picture is not None and len(picture) <= PICTURE_BYTES_MAX
    image = Image.open(io.BytesIO(picture))
    assert image.format == "PNG" and image.width <= PICTURE_SIDE_MAX >= image.height
    assert image.width >= 640  # scaled down, not to a thumbnail
    assert json_size(sent.body) <= MESSAGE_LIMIT
    assert "/api/web/summary/chart.png" not in shown  # shown, not linked

    before = len(world.sent_to(STAFF))
    await world.say(STAFF, "governors summary")
    replies = world.sent_to(STAFF)[before:]
    assert "Only the DSL, the deputy DSLs, the headteacher and the governors" in " ".join(
        text_of(s.body) for s in replies
    )
    assert not any(png_of(s.body) for s in replies)
