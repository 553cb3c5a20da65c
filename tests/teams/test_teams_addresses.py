"""Where Teams people are reached: the conversation references the bot stores. These touch the
storage beneath the channel, so they run on both databases."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import ChannelAddress
from tests.teams.concerns import install_for_handlers
from tests.teams.world import DEPUTY_2, DSL, conversation_of


async def test_uninstalling_stops_proactive_messages_and_the_reference_is_kept_in_the_db(world):
    await install_for_handlers(world)
    async with world.bot.router.sessions() as session:
        rows = {r.platform_user_id: r for r in await session.scalars(select(ChannelAddress))}
    assert rows[DSL].email == "a.hartley@example.org" and rows[DSL].reachable
    assert rows[DSL].address["serviceUrl"] == world.service_url
    assert rows[DSL].address["conversation"]["id"] == conversation_of(DSL)
    await world.uninstall(DEPUTY_2)
    assert world.bot.teams is not None
    assert any("Petra" in n for n in await world.bot.teams.unreachable_handlers())
