"""The weekly monitoring digest reaching the DSL's Slack DM, over loopback with the fake Slack
Web API (tests/slack/world.py): the week's counts and references in one message with a View
button per alert, the provider's own words (its category) escaped for Slack's mrkdwn, and no
alert message one by one before it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.monitoring.digest import send_monitoring_digest
from tests.monitoring.test_digest import DIGEST
from tests.monitoring.webhook import SECRET, SECRET_ENV, alert, post, school_file
from tests.slack.conftest import DSL, running_world
from tests.slack.world import blocks_of, text_of

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


async def test_the_digest_in_the_dsls_dm(database_url, tmp_path, clock, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    school = school_file(tmp_path, monitoring__digest=DIGEST)
    async with running_world(database_url, tmp_path, clock, school_config=school) as world:
        clock.now = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
        for alert_id, category in (("A-1", "gaming <b>&"), ("A-2", "gambling")):
            sent = alert(alert_id, level=1, user="jsmith07", category=category, at=clock.now)
            assert (await post(world.client, sent, now=clock.now)).status == 201
        await world.bot.dispatcher.deliver_due()
        await world.settle()
        assert world.api.posts_to(DSL) == []  # held: nothing one by one

        clock.now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
        assert await send_monitoring_digest(world.bot.jobs) > 0
        await world.bot.dispatcher.deliver_due()
        await world.settle()
        await world.until("the digest", lambda: world.api.posts_to(DSL))
        (digest,) = world.api.posts_to(DSL)
        shown = text_of(digest)
        assert "2 alerts" in shown and "MA-" in shown
        assert "gaming &lt;b&gt;&amp;" in shown and "<b>" not in shown
        assert "jsmith07" not in shown
        values = [
            element.get("value")
            for block in blocks_of(digest)
            for element in block.get("elements", [])
        ]
        assert sum(1 for v in values if str(v).startswith("case:view:")) == 2, json.dumps(values)
