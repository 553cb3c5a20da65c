"""A DSL case form in Teams speaks of itself: "cancel" in Record action asks whether to stop
recording the action, through the real Teams adapter and a fake Bot Connector."""

from __future__ import annotations

import pytest

from tests.teams.concerns import file_concern, install_for_handlers, reports
from tests.teams.filing import walk_chat
from tests.teams.world import DSL, settle

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


async def test_cancel_in_record_action_speaks_of_the_action_in_teams(world):
    await install_for_handlers(world)
    await file_concern(world, "Messages in the group chat.")
    await settle(world)
    (report,) = await reports(world)
    await world.click(DSL, f"case:action:{report.id}")
    await walk_chat(world, DSL, {"action": "police"}, until="details")

    await world.say(DSL, "cancel")
    asked = " ".join(world.texts_to(DSL)[-2:])
    assert "Stop recording this action? Nothing has been saved to the case." in asked
    assert "this report" not in asked

    await world.say(DSL, "yes")
    shown = " ".join(world.texts_to(DSL)[-3:])
    assert "Stopped. The action was not recorded" in shown
    assert "Nothing was sent" not in shown
