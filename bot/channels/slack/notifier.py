"""Slack's Notifier: alerts as DMs (conversations.open, chat.postMessage), updates in place.

Each message it posts carries its outbox row in Slack's message metadata (chat.postMessage
`metadata`: an `event_type` and a free-form `event_payload`, docs.slack.dev/messaging/
message-metadata). When an earlier attempt at a row may have arrived (Slack answered 500
`internal_error`, documented as "It's possible some aspect of the operation succeeded", or the
attempt timed out or died), the DM's history since the row was queued is read back
(conversations.history with `include_all_metadata`, im:history) and what is there already is
recorded, not posted again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.identity import SlackDirectory
from bot.channels.slack.render import CardTooLarge, render_card_update, render_turn
from bot.delivery.messages import Card
from bot.delivery.notifier import Delivery, RetryLater

log = logging.getLogger(__name__)
CHANNEL = "slack"
NOT_IN_SLACK_RETRY = 3600.0
OUTBOX_EVENT = "osbot_outbox"
# conversations.history gives at most 15 messages a call to apps distributed outside the Slack
# Marketplace (docs.slack.dev/reference/methods/conversations.history); a few pages cover a DM.
LOOK_LIMIT = 15
LOOK_PAGES = 4
CLOCK_SKEW = 300.0  # our clock and Slack's may differ: look a little further back


class SlackNotifier:
    channel = CHANNEL

    def __init__(self, client: AsyncWebClient, directory: SlackDirectory) -> None:
        self.client = client
        self.directory = directory

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send; the returned reference is "<dm channel>:<ts>" of the card, for chat.update."""
        try:
            return await self._deliver(delivery)
        except SlackApiError as error:
            status = getattr(error.response, "status_code", None)
            if status == 429:  # slack-sdk's retry handler already waited once; honour the rest
                after = float(error.response.headers.get("Retry-After", "30"))
                raise RetryLater("rate limited by Slack", after_seconds=after) from None
            raise RetryLater(f"Slack said {error.response.get('error')}") from None

    async def _deliver(self, delivery: Delivery) -> str | None:
        cards = [m for m in delivery.messages if isinstance(m, Card)]
        if delivery.kind == "update" and delivery.platform_ref and cards:
            channel, _, ts = delivery.platform_ref.partition(":")
            try:
                update = render_card_update(cards[0])
            except CardTooLarge:  # too long for one message: post it whole rather than cut it
                await self._post(channel, render_turn(cards), delivery)
                return delivery.platform_ref
            await self.client.chat_update(channel=channel, ts=ts, **update)
            return delivery.platform_ref
        if delivery.kind == "update" and not delivery.platform_ref:
            return None  # they never got the first alert here: there is nothing to update
        user_id = await self.directory.user_id_for(delivery.recipient_email)
        if user_id is None:
            raise RetryLater("no Slack user has this e-mail", after_seconds=NOT_IN_SLACK_RETRY)
        opened = await self.client.conversations_open(users=user_id)
        channel = str(opened["channel"]["id"])
        first = await self._post(channel, render_turn(delivery.messages), delivery)
        return f"{channel}:{first}" if first else None

    async def _post(
        self, channel: str, payloads: list[dict[str, Any]], delivery: Delivery
    ) -> str | None:
        """Post each part not in the DM already; returns the first part's ts."""
        posted: dict[int, str] = {}
        if delivery.row_id is not None and delivery.look_since is not None:
            posted = await self._already_posted(channel, delivery.row_id, delivery.look_since)
            if posted:
                log.info(
                    "outbox row %s was in Slack already: %d part(s)", delivery.row_id, len(posted)
                )
        for part, payload in enumerate(payloads):
            if part in posted:
                continue
            if delivery.row_id is not None:
                payload = {**payload, "metadata": _metadata(delivery.row_id, part)}
            answer = await self.client.chat_postMessage(channel=channel, **payload)
            posted[part] = str(answer["ts"])
        return posted.get(0)

    async def _already_posted(self, channel: str, row_id: int, since: datetime) -> dict[int, str]:
        """The parts of this row found in the DM since it was queued: part -> ts."""
        found: dict[int, str] = {}
        cursor = None
        try:
            for _ in range(LOOK_PAGES):
                page = await self.client.conversations_history(
                    channel=channel,
                    oldest=f"{since.timestamp() - CLOCK_SKEW:.6f}",
                    limit=LOOK_LIMIT,
                    include_all_metadata=True,
                    cursor=cursor,
                )
                for message in page.get("messages") or []:
                    part = _part_of(message, row_id)
                    if part is not None:
                        found[part] = str(message["ts"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not page.get("has_more") or not cursor:
                    break
        except SlackApiError as error:
            if getattr(error.response, "status_code", None) == 429:
                raise  # rate limited: look again later rather than post blind
            # A look Slack refuses for good (a scope removed) must not hold an alert back:
            # better twice than never.
            log.warning("could not look at a DM's history: %s", error.response.get("error"))
        return found


def _metadata(row_id: int, part: int) -> dict[str, Any]:
    return {"event_type": OUTBOX_EVENT, "event_payload": {"row": row_id, "part": part}}


def _part_of(message: dict[str, Any], row_id: int) -> int | None:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    if metadata.get("event_type") != OUTBOX_EVENT or payload.get("row") != row_id:
        return None
    part = payload.get("part", 0)
    return part if isinstance(part, int) else None
