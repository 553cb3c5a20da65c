"""A scheduled briefing's draft in Slack: the DSL is told in a DM, with "Review and send" and
"Not this time"; "Review and send" opens the brief flow filled in from the template, and a
member of staff who presses the button is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.audit.scheduled import audit_housekeeping
from bot.briefings import drafts
from tests.slack.conftest import DSL, STAFF
from tests.slack.filing import say
from tests.slack.world import SlackWorld, text_of

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


async def test_the_dsl_reviews_a_termly_draft_in_slack(world: SlackWorld, clock):
    assert world.bot.audit is not None
    clock.now = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)  # a term began on 4 January
    await audit_housekeeping(world.bot.audit)
    await audit_housekeeping(world.bot.audit)
    await world.settle()
    told = [m for m in world.api.posts_to(DSL) if drafts.REVIEW in json.dumps(m)]
    assert len(told) == 1  # once, however often the job runs
    assert "termly online safety update" in text_of(told[0])
    assert not any(drafts.REVIEW in json.dumps(m) for m in world.api.posts_to(STAFF))
    (value,) = {
        part.split('"')[0] for part in json.dumps(told[0]).split(f'"value": "{drafts.REVIEW}')[1:]
    }
    await say(world, DSL, f"{drafts.REVIEW}{value}")
    await world.settle()
    asked = " ".join(text_of(m) for m in world.api.posts_to(DSL)[-2:])
    assert "Write the briefing" in asked  # the title is filled in: its text is asked
