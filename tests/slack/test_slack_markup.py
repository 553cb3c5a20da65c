"""What a Slack user typed is what is stored and what the DSL reads, not Slack's markup.

Slack sends message text with its own markup: mentions as `<@U…>` (or `<@U…|name>`), `<!here>`,
`<!channel>`, `<!everyone>`, user groups as `<!subteam^ID|@handle>`, channels as `<#C…|name>`,
links as `<url>` or `<url|label>`, and `&`, `<`, `>` typed by the person as `&amp;`, `&lt;`,
`&gt;` (docs.slack.dev/messaging/formatting-message-text, "Escaping text" and "Advanced
formatting"). Each test here types as Slack delivers, through the real Slack adapter over
loopback, files the report and reads the DSL's alert as the fake Slack Web API received it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Outbox, Report
from tests.conftest import DETAILS_IN_ALERTS, example_config_with
from tests.slack.conftest import DSL, STAFF, running_world
from tests.slack.filing import file_concern
from tests.slack.world import SlackWorld, blocks_of

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

SENT = (
    "<!channel> <!here> <!everyone> <@UDSL> <@UNOBODY> <@UGONE|Old Name> "
    "<!subteam^S0DSL|@dsl-team> <#C0GENERAL|general> <https://x.example/a> "
    "<https://evil.example/b|click here> <http://tiktok.com|tiktok.com> "
    "<mailto:jo@school.example|jo@school.example> Tom &amp; Jerry &lt;3 &amp;lt;b&amp;gt;"
)
# What the person saw in Slack: the names the mentions showed, the links' words, the characters.
SEEN = (
    "@channel @here @everyone @Alice Hartley @UNOBODY @Old Name @dsl-team #general "
    "https://x.example/a click here (https://evil.example/b) tiktok.com jo@school.example "
    "Tom & Jerry <3 &lt;b&gt;"
)
# What the DSL reads (escaped for mrkdwn, as every text is): every address defanged.
SHOWN = (
    "@channel @here @everyone @Alice Hartley @UNOBODY @Old Name @dsl-team #general "
    "hxxps://x[.]example/a click here (hxxps://evil[.]example/b) tiktok[.]com jo@school.example "
    "Tom &amp; Jerry &lt;3 &amp;lt;b&amp;gt;"
)


async def stored_answer(world: SlackWorld, step: str) -> Any:
    async with world.bot.router.sessions() as session:
        (report,) = await session.scalars(select(Report))
    return world.bot.cipher.open(report, "answers_enc")["answers"][step]


def alert_text(world: SlackWorld, reference: str) -> str:
    """The DSL's alert for this reference, its blocks as Slack received them."""
    alerts = [
        json.dumps(blocks_of(m), ensure_ascii=False)
        for m in world.api.posts_to(DSL)
        if reference in json.dumps(blocks_of(m)) and "case:ack:" in json.dumps(blocks_of(m))
    ]
    assert alerts, "no alert reached the DSL"
    return alerts[0]


@pytest.fixture
async def detailed(database_url, tmp_path, clock):
    school = example_config_with(tmp_path, **DETAILS_IN_ALERTS)
    async with running_world(database_url, tmp_path, clock, school) as world:
        yield world


async def test_slack_markup_is_stored_and_shown_as_the_person_saw_it(detailed):
    reference = await file_concern(detailed, SENT)
    assert await stored_answer(detailed, "what_happened") == SEEN
    shown = alert_text(detailed, reference)
    assert SHOWN in shown
    for markup in ("<!channel>", "<@UDSL>", "<https://", "&lt;!channel&gt;", "&lt;@U"):
        assert markup not in shown


async def test_a_mention_slack_cannot_name_keeps_its_id_and_the_answer(detailed):
    """users.info fails for the id (user_not_found): the answer is kept, the mention as its id,
    which still says exactly whom the reporter named."""
    reference = await file_concern(detailed, "It was <@UNOBODY> again")
    assert await stored_answer(detailed, "what_happened") == "It was @UNOBODY again"
    assert "It was @UNOBODY again" in alert_text(detailed, reference)


async def test_a_direction_override_is_kept_in_the_record_and_shown_to_the_dsl(detailed):
    typed = "The file was called \u202egnp.exe and came from bit.ly/3xYz"
    reference = await file_concern(detailed, typed)
    assert await stored_answer(detailed, "what_happened") == typed
    shown = alert_text(detailed, reference)
    assert "The file was called [U+202E]gnp.exe and came from bit[.]ly/3xYz" in shown
    assert "\u202e" not in shown


async def test_a_mention_stored_by_its_slack_name_still_leaves_that_person_out(world):
    """The head's Slack name is not the school file's ("Marty F" for Martin Fenwick): stored as
    "@Marty F", the mention still names the head, who is left out of the allegation."""
    from tests.slack.conftest import HEAD
    from tests.slack.test_slack_allegations import ANSWERS, walk

    world.api.users[HEAD] = ("m.fenwick@example.org", "Marty F")
    await walk(world, {**ANSWERS, "adult_who": f"It was <@{HEAD}> in the office"})
    await world.click(STAFF, "__submit")
    await world.settle()
    assert await stored_answer(world, "adult_who") == "It was @Marty F in the office"
    async with world.bot.router.sessions() as session:
        (report,) = await session.scalars(select(Report))
        rows = list(await session.scalars(select(Outbox)))
    assert report.allegation
    to = {(r.recipient_email, r.kind) for r in rows}
    assert not {k for e, k in to if e == "m.fenwick@example.org"}
    assert ("j.whitcombe@example.org", "alert") in to  # the chair takes it instead
