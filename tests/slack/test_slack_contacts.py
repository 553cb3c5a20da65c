"""The contacts beyond the school in Slack: the reporter's confirmation names children's social
care's numbers, and an alert outside school hours its out-of-hours number; names from the
school file are shown as written, never as mentions or links (escaped mrkdwn)."""

from __future__ import annotations

import pytest

from tests.conftest import example_config_with
from tests.slack.conftest import DSL, STAFF, running_world
from tests.slack.filing import to_summary
from tests.slack.world import SlackWorld, text_of
from tests.support.walk import cyberbullying_concern

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

ANSWERS = cyberbullying_concern("Name-calling in the class group chat.", "today 09:00")
HOSTILE = "Front Door <!channel> & <https://evil.example|MASH>"


def _with(world: SlackWorld, user: str, fragment: str) -> dict[str, object] | None:
    found = [p for p in world.api.posts_to(user) if fragment in text_of(p)]
    return found[-1] if found else None


async def test_the_confirmation_and_an_evening_alert_show_social_cares_numbers(
    database_url, tmp_path, clock
):
    clock.now = clock.now.replace(hour=20)  # 20:00 in November: after school
    care = {"name": HOSTILE, "phone": "01632 960006", "out_of_hours_phone": "01632 960008"}
    config = example_config_with(tmp_path, contacts__childrens_social_care=care)
    async with running_world(database_url, tmp_path, clock, config) as world:
        summary = await to_summary(world, STAFF, ANSWERS)
        await world.click(STAFF, "__submit", message=summary)

        receipt = await world.until("the confirmation", lambda: _with(world, STAFF, "Sent."))
        shown = text_of(receipt)
        assert "anyone can call children's social care on 01632 960006" in shown
        assert "outside office hours, on 01632 960008" in shown
        assert "Front Door &lt;!channel&gt; &amp; &lt;https://evil.example|MASH&gt;" in shown
        assert "<!channel>" not in shown and "<https://evil" not in shown

        alert = await world.until("the DSL's alert", lambda: _with(world, DSL, "outside school"))
        shown = text_of(alert)
        assert "01632 960006; outside office hours: 01632 960008" in shown
        assert "Police, not an emergency: 101" in shown
        assert "<!channel>" not in shown
