"""A DSL case form in Slack speaks of itself: "cancel" in Record action asks whether to stop
recording the action, and a saved note says so, in the DM, through the real Slack adapter."""

from __future__ import annotations

import pytest

from tests.slack.conftest import DSL
from tests.slack.filing import file_concern, reports, walk_dm
from tests.slack.world import text_of

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


async def test_cancel_in_record_action_speaks_of_the_action_in_slack(world):
    await file_concern(world, "Messages in the group chat.")
    (report,) = await reports(world)
    alert = world.newest_with(DSL, f"case:action:{report.id}")
    await world.click(DSL, f"case:action:{report.id}", message=alert)
    await world.settle()
    await walk_dm(world, DSL, {"action": "police"}, until="details")

    await world.dm(DSL, "cancel")
    await world.settle()
    asked = text_of(world.api.posts_to(DSL)[-1])
    assert "Stop recording this action? Nothing has been saved to the case." in asked
    assert "this report" not in asked

    await world.dm(DSL, "yes")
    await world.settle()
    shown = " ".join(text_of(m) for m in world.api.posts_to(DSL)[-2:])
    assert "Stopped. The action was not recorded" in shown
    assert "Nothing was sent" not in shown


async def test_a_saved_note_says_so_in_slack(world):
    await file_concern(world, "Messages in the group chat.")
    (report,) = await reports(world)
    alert = world.newest_with(DSL, f"case:note:{report.id}")
    await world.click(DSL, f"case:note:{report.id}", message=alert)
    await world.settle()
    await walk_dm(world, DSL, {"note": "Spoke to the class teacher."})
    await world.click(DSL, "__submit")
    await world.settle()
    shown = " ".join(text_of(m) for m in world.api.posts_to(DSL)[-3:])
    assert f"Note saved to case {report.reference}." in shown
