"""What Slack shows for `/online-safety`, and the notification text of a question that comes
with rules, through the real Slack adapter and a fake Web API on loopback.

A slash command's HTTP answer is the message only its sender sees when it is `response_type:
ephemeral` ("By default, the response messages sent to commands will only be visible to the
user that issued the command"; https://api.slack.com/interactivity/slash-commands, "Responding
to commands"). The report goes on in the bot's DM, so typed anywhere else the command answers
with a pointer there; typed in that DM it needs none, since the question appears right there."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from bot.words import strings
from tests.slack.conftest import STAFF
from tests.slack.filing import SlackDm, newest_question, walk_dm
from tests.slack.world import TEAM, SlackWorld, text_of
from tests.support.walk import step_of_token

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

APP = "A0APP"


async def slash(world: SlackWorld, channel: str, text: str = "report") -> Any:
    """`/online-safety <text>` typed in `channel`, as Slack posts it (form fields as in
    tests/slack/payloads/command.json)."""
    form = {
        "command": "/online-safety",
        "text": text,
        "user_id": STAFF,
        "user_name": "tom.brannigan",
        "team_id": TEAM,
        "api_app_id": APP,
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "general",
        "trigger_id": "1.2.3",
        "response_url": "https://hooks.slack.com/commands/x",
    }
    return await world.post(urlencode(form), "application/x-www-form-urlencoded")


async def first_question_in_the_dm(world: SlackWorld) -> str | None:
    await world.until("the first question in the DM", lambda: newest_question(world, STAFF))
    await world.settle()
    found = newest_question(world, STAFF)
    return None if found is None else step_of_token(found[1])


async def test_the_command_typed_in_a_channel_answers_only_its_sender_pointing_to_the_dm(world):
    response = await slash(world, "C0GENERAL")
    assert response.status == 200
    assert response.content_type == "application/json"
    body = await response.json()
    assert body["response_type"] == "ephemeral"  # only the sender sees it; nothing in #general
    assert body["text"].startswith(strings.SLACK_SENT_TO_DM)
    # A link that opens the app's DM (https://api.slack.com/docs/deep-linking: app_redirect).
    assert f"<https://slack.com/app_redirect?app={APP}|" in body["text"]
    assert await first_question_in_the_dm(world) == "immediate_danger"
    assert {c.args["channel"] for c in world.api.called("chat.postMessage")} == {"D" + STAFF}


async def test_the_command_typed_in_the_bots_own_dm_adds_no_pointer_to_it(world):
    response = await slash(world, "D" + STAFF)
    assert response.status == 200
    assert (await response.text()) == ""  # a bare acknowledgement: Slack shows nothing more
    assert await first_question_in_the_dm(world) == "immediate_danger"


async def test_the_image_rules_notification_carries_the_first_rule(world):
    await slash(world, "D" + STAFF)
    await first_question_in_the_dm(world)
    await walk_dm(
        world, STAFF, {"immediate_danger": "no", "category": "image"}, until="image_rules"
    )
    message, _ = newest_question(world, STAFF) or ({}, "")
    assert await SlackDm(world, STAFF).asked() == "image_rules"
    # `text` is what a notification shows when a message has blocks
    # (https://api.slack.com/methods/chat.postMessage: "text will be used as fallback text for
    # notifications only"), so the rule that matters most is in it, not only "please confirm".
    notification = message["text"]
    assert "Before anything else, please follow these rules" in notification
    assert "Do NOT view, copy, forward, print, save or delete the image" in notification
    assert "Please confirm you have read these rules." in notification
    assert "Do NOT ask the pupil" not in notification  # one rule, not the whole list
    assert "Do NOT view" in text_of(message)  # and the rules in full in the blocks


async def test_when_slack_refuses_to_open_the_dm_the_pointer_is_given_and_the_report_goes_on(
    world,
):
    # conversations.open answers ok: false (docs.slack.dev/reference/methods/conversations.open
    # lists its errors, e.g. user_not_found, ratelimited): the acknowledgement cannot tell which
    # conversation is the DM, so it points there anyway; the turn opens the DM again itself.
    world.api.refuse_next["conversations.open"] = "ratelimited"
    response = await slash(world, "C0GENERAL")
    assert response.status == 200
    body = await response.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith(strings.SLACK_SENT_TO_DM)
    assert await first_question_in_the_dm(world) == "immediate_danger"
    assert len(world.api.called("conversations.open")) >= 2  # refused once, then opened
