"""What Slack shows the sender of `/online-safety` besides the bot's DM: the command's answer.

The answer is the body of the command's acknowledgement. Slack shows it to the sender only when
its `response_type` is `ephemeral` ("By default, the response messages sent to commands will
only be visible to the user that issued the command... Setting response_type to ephemeral is
the same as not including the response type at all... we recommend always declaring your
intended response_type"; an empty HTTP 200 shows nothing: https://api.slack.com/interactivity/
slash-commands, "Responding to commands"). Every report goes on in the bot's DM, so a command
typed in a channel, or in a DM with someone else, is answered with a pointer to that DM: left
empty, it looked as if nothing had happened. Typed in the bot's own DM, the question appears
right there, and a pointer to where the person already is would only be noise.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.blocks import escape_mrkdwn
from bot.words import strings

log = logging.getLogger(__name__)

# How long the acknowledgement may wait to learn which conversation is the bot's DM. Slack
# gives a command 3 seconds before it tells the person the app did not respond.
DM_LOOKUP_SECONDS = 1.0
# Slack's app ids (A…): only such an id goes into the link.
_SLACK_ID = re.compile(r"[A-Z0-9]{2,32}")


async def bot_dm(client: AsyncWebClient, user_id: str) -> str | None:
    """The id of the bot's DM with this person (conversations.open gives the existing one), or
    None if Slack does not say within DM_LOOKUP_SECONDS; the turn opens it again then."""
    try:
        opened = await asyncio.wait_for(
            client.conversations_open(users=user_id), timeout=DM_LOOKUP_SECONDS
        )
        return str(opened["channel"]["id"])
    except Exception as error:  # the pointer is then given; the report is not held up
        log.warning("could not open the DM for a slash command: %s", type(error).__name__)
        return None


def command_answer(form: Mapping[str, Any], dm: str | None) -> dict[str, Any] | None:
    """The acknowledgement's body for a command from `form` (Slack's form fields), the bot's
    DM with its sender being `dm` (None: unknown). None for a bare acknowledgement."""
    if dm is not None and form.get("channel_id") == dm:
        return None
    text = escape_mrkdwn(strings.SLACK_SENT_TO_DM)
    link = dm_link(form)
    if link is not None:
        text += f" <{link}|{escape_mrkdwn(strings.SLACK_OPEN_DM)}>"
    return {"response_type": "ephemeral", "text": text}


def dm_link(form: Mapping[str, Any]) -> str | None:
    """A link that opens the app's DM: `https://slack.com/app_redirect?app=<app id>` ("Opening a
    direct message with your app or bot": https://api.slack.com/docs/deep-linking). It is
    pressed in the workspace the command came from, so the app's id is all it needs, and the
    link holds no `&` to escape. None unless the payload names the app as Slack's ids look."""
    app = form.get("api_app_id")
    if not (isinstance(app, str) and _SLACK_ID.fullmatch(app)):
        return None
    return "https://slack.com/app_redirect?" + urlencode({"app": app})
