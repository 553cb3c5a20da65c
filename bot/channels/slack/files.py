"""A card's files in Slack: uploaded into the conversation right after the message that holds
the card (the self-audit's chart as an image, everyone's answers as a CSV).

Slack's external upload flow, as slack-sdk's `files_upload_v2` runs it: files.getUploadURLExternal
(the name and length; an image's alt text) gives an upload URL and a file id, the bytes are
POSTed to that URL, and files.completeUploadExternal shares the file id in the conversation
(`channel_id`). `files.upload`, which Slack retired, is never used. Both methods need the bot
scope files:write (docs.slack.dev/reference/methods/files.getUploadURLExternal and
.../files.completeUploadExternal). slack-sdk no longer calls files.info afterwards (since 3.23),
so files:read is not needed.

A file's title and alt text are plain text to Slack, and ours (no one's typed words); no
initial comment is sent, so nothing here is read as mrkdwn. A failed upload is logged by the
error's type and Slack's error code only, never with the file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.blocks import Json
from bot.channels.slack.render import render_turn
from bot.delivery.messages import Attachment, Card, Outbound

log = logging.getLogger(__name__)
ALT_TEXT_MAX = 1000  # files.getUploadURLExternal: alt_txt_too_large beyond 1,000 characters


@dataclass(frozen=True)
class FileUpload:
    """One file to upload after the messages before it."""

    filename: str
    title: str
    data: bytes = field(repr=False)
    alt_text: str | None = None


def render_with_files(messages: Sequence[Outbound]) -> list[Json | FileUpload]:
    """The turn's chat.postMessage payloads (as `render_turn` gives them), each card's files
    right after the message that holds the card, so a chart follows its own counts."""
    steps: list[Json | FileUpload] = []
    pending: list[Outbound] = []
    for message in messages:
        pending.append(message)
        if isinstance(message, Card) and message.attachments:
            steps += render_turn(pending)
            pending = []
            steps += [_upload(attachment) for attachment in message.attachments]
    return steps + render_turn(pending)


async def upload(client: AsyncWebClient, channel: str, file: FileUpload) -> bool:
    """Share one file in the conversation; False (logged without the file) if Slack refused it
    or could not be reached. A 429 is retried by the client's rate-limit handler first."""
    try:
        await client.files_upload_v2(
            channel=channel,
            file=file.data,
            filename=file.filename,
            title=file.title,
            alt_txt=file.alt_text,
        )
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        log.warning("Slack file upload refused: %s", code or error.response.status_code)
        return False
    except (TimeoutError, SlackRequestError, ClientError) as error:
        # SlackRequestError: the upload URL answered other than 200 (its message quotes the
        # answer and the file's name and title, so only the type is logged).
        log.warning("Slack file upload failed: %s", type(error).__name__)
        return False
    return True


def _upload(attachment: Attachment) -> FileUpload:
    alt = attachment.alt_text[:ALT_TEXT_MAX] if attachment.alt_text else None
    return FileUpload(
        filename=attachment.filename,
        title=attachment.title,
        data=attachment.data,
        alt_text=alt if attachment.is_image else None,
    )
