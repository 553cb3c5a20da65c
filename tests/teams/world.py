"""Sends the bot what Teams would send (Teams-shaped activities on /api/messages) and reads what
it sent back at the fake Bot Connector."""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from bot.channels.teams.parse import CHANGE_INPUT, CHANGE_KEY
from tests.teams.connector import TENANT, FakeBotConnector, Sent, text_of

APP_ID = "00000000-0000-4000-8000-00000000b07a"
BOT = {"id": f"28:{APP_ID}", "name": "Online Safety"}
STAFF, DSL, DEPUTY_1, DEPUTY_2, HEAD, GUEST = (
    "29:1staff",
    "29:1dsl",
    "29:1dep1",
    "29:1dep2",
    "29:1head",
    "29:1guest",
)
# Teams user id -> (e-mail, name, Entra object id)
PEOPLE = {
    STAFF: ("t.brannigan@example.org", "Tom Brannigan", "aad-staff"),
    DSL: ("a.hartley@example.org", "Alice Hartley", "aad-dsl"),
    DEPUTY_1: ("d.osei@example.org", "Daniel Osei", "aad-dep1"),
    DEPUTY_2: ("p.lindqvist@example.org", "Petra Lindqvist", "aad-dep2"),
    HEAD: ("m.fenwick@example.org", "Martin Fenwick", "aad-head"),
    GUEST: ("visitor@elsewhere.example", "A Visitor", "aad-guest"),
}


def conversation_of(user: str) -> str:
    return "a:1" + user.removeprefix("29:1") + "-personal-chat"


@dataclass
class TeamsWorld:
    connector: FakeBotConnector
    service_url: str
    client: TestClient
    bot: Any
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def close(self) -> None:
        await self.client.close()
        await self.bot.engine.dispose()

    def activity(self, user: str, **fields: Any) -> dict[str, Any]:
        _email, name, aad = PEOPLE[user]
        return {
            "id": f"f:{next(self._ids)}-{uuid.uuid4().hex[:8]}",
            "timestamp": "2026-11-24T10:30:00.000Z",
            "localTimestamp": "2026-11-24T10:30:00.000+00:00",
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": {"id": user, "name": name, "aadObjectId": aad},
            "conversation": {
                "conversationType": "personal",
                "tenantId": TENANT,
                "id": conversation_of(user),
            },
            "recipient": dict(BOT),
            "locale": "en-GB",
            "entities": [
                {"locale": "en-GB", "country": "GB", "platform": "Web", "type": "clientInfo"}
            ],
            "channelData": {"tenant": {"id": TENANT}},
            **fields,
        }

    async def post(self, activity: dict[str, Any], **headers: str) -> ClientResponse:
        return await self.client.post("/api/messages", json=activity, headers=headers)

    async def say(self, user: str, text: str, **headers: str) -> ClientResponse:
        activity = self.activity(user, type="message", text=text, textFormat="plain")
        return await self.post(activity, **headers)

    async def install(self, user: str) -> ClientResponse:
        activity = self.activity(
            user,
            type="conversationUpdate",
            membersAdded=[dict(BOT)],
        )
        activity.pop("locale")
        return await self.post(activity)

    async def uninstall(self, user: str) -> ClientResponse:
        return await self.post(self.activity(user, type="installationUpdate", action="remove"))

    async def click(self, user: str, value: str, *, sent: Sent | None = None) -> ClientResponse:
        """Press the Action.Submit whose data carries `value`, on the newest card offering it;
        for a summary's `edit:<step>`, choose it in "Change an answer" and press Change."""
        sent = sent or self.newest_with(user, value)
        if value in _change_choices(sent.body):
            data = _submit_data(sent.body, lambda d: CHANGE_KEY in d)
            return await self._submit(user, sent, {**data, CHANGE_INPUT: value})
        data = _submit_data(sent.body, lambda d: _value_of(d) == value)
        return await self._submit(user, sent, data)

    async def tick(self, user: str, *values: str) -> ClientResponse:
        """Tick boxes of the newest multi-choice card and press its Done button."""
        for sent in reversed(self.posted_to(user)):
            choice = _choice_set(sent.body)
            if choice is not None:
                data = _submit_data(sent.body, lambda d: _value_of(d) is None)
                return await self._submit(user, sent, {**data, choice["id"]: ",".join(values)})
        raise AssertionError(f"no multi-choice card sent to {user}")

    async def _submit(self, user: str, sent: Sent, data: dict[str, Any]) -> ClientResponse:
        activity = self.activity(user, type="message", value=data, replyToId=sent.activity_id)
        return await self.post(activity)

    def sent_to(self, user: str) -> list[Sent]:
        return self.connector.to(conversation_of(user))

    def texts_to(self, user: str) -> list[str]:
        return [text_of(s.body) for s in self.sent_to(user)]

    def reads(self, user: str) -> list[str]:
        """What `user` reads in their chat, message by message, each as it is now (an answered
        question's card is updated after the replies to the click are sent)."""
        return [text_of(s.body) for s in self.posted_to(user)]

    def posted_to(self, user: str) -> list[Sent]:
        """The activities sent to `user`, each as it is now (after any update of it)."""
        return [
            Sent(s.method, s.conversation_id, s.activity_id, self.connector.now(s), None)
            for s in self.sent_to(user)
            if s.method == "POST"
        ]

    def newest_with(self, user: str, value: str) -> Sent:
        for sent in reversed(self.posted_to(user)):
            if value in offered(sent.body):
                return sent
        raise AssertionError(f"no card sent to {user} offers {value!r}")

    def offers(self, user: str, value: str) -> bool:
        sent = self.posted_to(user)
        return bool(sent) and value in offered(sent[-1].body)


def offered(activity: dict[str, Any]) -> list[str | None]:
    """The values a card's buttons send, and the answers its summary's Change can send."""
    buttons = [_value_of(data) for data in _all_submit_data(activity)]
    return [*buttons, *_change_choices(activity)]


def _change_choices(activity: dict[str, Any]) -> list[str]:
    """The `edit:<step>` values of a summary card's "Change an answer" list."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Input.ChoiceSet" and node.get("id") == CHANGE_INPUT:
                found.extend(str(choice["value"]) for choice in node["choices"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(activity.get("attachments") or [])
    return found


def _value_of(data: dict[str, Any]) -> str | None:
    from bot.channels.teams import parse

    return parse.submitted_value(data)


def _all_submit_data(activity: dict[str, Any]) -> list[dict[str, Any]]:
    from bot.channels.teams.render import card_values

    found: list[dict[str, Any]] = []
    for attachment in activity.get("attachments") or []:
        found += card_values(attachment.get("content") or {})
    return found


def _submit_data(activity: dict[str, Any], wanted: Any) -> dict[str, Any]:
    for data in _all_submit_data(activity):
        if wanted(data):
            return dict(data)
    raise AssertionError(f"no matching button in {json.dumps(activity)[:300]}")


def _choice_set(activity: dict[str, Any]) -> dict[str, Any] | None:
    def walk(node: Any) -> dict[str, Any] | None:
        if isinstance(node, dict):
            if node.get("type") == "Input.ChoiceSet" and node.get("isMultiSelect"):
                return node
            for child in node.values():
                if (found := walk(child)) is not None:
                    return found
        if isinstance(node, list):
            for child in node:
                if (found := walk(child)) is not None:
                    return found
        return None

    return walk(activity.get("attachments") or [])


async def settle(world: TeamsWorld, seconds: float = 60.0) -> None:
    """Wait until every outbox row due has been tried once and the bot has stopped sending.

    It waits for events (the dispatcher woken or delivering, a delivery started in the
    background, a row due and not yet tried), not a quiet spell, which a loaded machine can
    outlast. Alerts go out after the turn, paced under Teams' limits, so the turn's HTTP answer
    alone does not say they went. Raises if the bot is still busy after `seconds`."""
    import asyncio

    from sqlalchemy import func, select

    from storage.models import Outbox

    bot = world.bot
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        if bot.teams is not None:
            await bot.teams.background_done()
        untried = 0
        for part in bot.parts.values():  # every school's outbox (a trust's deployment has many)
            async with part.sessions() as session:
                untried += (
                    await session.scalar(
                        select(func.count())
                        .select_from(Outbox)
                        .where(
                            Outbox.status == "pending",
                            Outbox.attempts == 0,
                            Outbox.next_attempt_at <= bot.router.clock(),  # due (a claim moves it)
                        )
                    )
                    or 0
                )
        if not untried and not any(p.dispatcher.busy for p in bot.parts.values()):
            return
        if loop.time() > deadline:
            raise AssertionError(f"the bot was still sending after {seconds:.0f} s")
        await asyncio.sleep(0.01)
