"""A fake Bot Connector on loopback: the Bot Framework REST API that Teams' service URL serves.

It records what the bot sends (POST .../activities, POST .../activities/{replyToId}, PUT
.../activities/{id}), answers the member lookup (GET .../members/{userId}) with Teams' shape
(email, userPrincipalName, aadObjectId...), and can be told to refuse the next calls with 429
and a Retry-After, or with 412/502/504, as Teams does when a bot goes too fast.

It can also refuse one conversation until told to accept again (403 when the app was removed or
blocked, 404 when the conversation is gone, 429, 500), or hang there past the bot's send
timeout. Refusals carry the Bot Connector's documented ErrorResponse body,
`{"error": {"code": ..., "message": ...}}` (learn.microsoft.com/azure/bot-service/rest-api/
bot-framework-rest-connector-api-reference#errorresponse-object), with the codes Teams gives
for each status (learn.microsoft.com/microsoftteams/platform/bots/build-conversational-capability
#status-codes-from-bot-conversational-apis).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ERROR_CODES = {
    403: ("BotNotInConversationRoster", "The bot is not part of the conversation roster."),
    404: ("ConversationNotFound", "The conversation was not found."),
    412: ("PreconditionFailed", "Precondition failed, please try again."),
    429: ("Throttled", "Too many requests."),
    500: ("ServiceError", "An internal service error occurred."),
    502: ("ServiceError", "Bad gateway."),
    504: ("GatewayTimeout", "The gateway timed out."),
}
HANG_AT_MOST = 30.0  # a hung call answers 503 at last, so the server can always shut down


@dataclass
class Sent:
    method: str
    conversation_id: str
    activity_id: str | None  # the id the bot was given (POST) or the one it replaced (PUT)
    body: dict[str, Any]
    authorization: str | None
    reply_to: str | None = None
    raw: bytes = b""  # the exact body the bot sent
    at: float = field(default_factory=time.perf_counter)  # arrival, for bench/teams_reply.py


@dataclass
class Member:
    user_id: str
    name: str
    email: str
    aad_object_id: str


@dataclass
class FakeBotConnector:
    members: dict[str, Member] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    refused: list[tuple[str, int]] = field(default_factory=list)
    refusing: dict[str, int] = field(default_factory=dict)  # conversation id -> status
    hanging: set[str] = field(default_factory=set)
    dropping: set[str] = field(default_factory=set)
    hung: list[str] = field(default_factory=list)
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Kept as `sent` grows, so that what one person sees is found without reading everything
    # everyone was sent (the Teams benchmark asks after every activity, ten people at once).
    _by_conversation: dict[str, list[Sent]] = field(default_factory=dict)
    _newest_body: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def app(self) -> web.Application:
        app = web.Application()
        base = "/v3/conversations/{conversation}"
        app.router.add_post(base + "/activities", self.post)
        app.router.add_post(base + "/activities/{reply_to}", self.post)
        app.router.add_put(base + "/activities/{activity}", self.put)
        app.router.add_get(base + "/members/{user}", self.member)
        return app

    def fail_next(self, times: int, status: int = 429, retry_after: str | None = "1") -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.failures.extend([(status, headers)] * times)

    def refuse(self, conversation_id: str, status: int) -> None:
        """Answer every call to this conversation with `status` until `accept`."""
        self.refusing[conversation_id] = status

    def hang(self, conversation_id: str) -> None:
        """Answer no call to this conversation until `accept` (then 503, unrecorded)."""
        self.hanging.add(conversation_id)

    def drop(self, conversation_id: str) -> None:
        """Close the connection of every call to this conversation, unanswered, until `accept`."""
        self.dropping.add(conversation_id)

    def accept(self, conversation_id: str) -> None:
        self.refusing.pop(conversation_id, None)
        self.hanging.discard(conversation_id)
        self.dropping.discard(conversation_id)
        self._release.set()
        self._release = asyncio.Event()

    async def _refusal(self, request: web.Request) -> web.Response | None:
        conversation = request.match_info["conversation"]
        if conversation in self.hanging:
            self.hung.append(conversation)
            release = self._release
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(release.wait(), HANG_AT_MOST)
            return _error(503, {})
        if conversation in self.dropping:
            self.refused.append((request.method, 0))
            assert request.transport is not None
            request.transport.close()
            return web.Response()  # never written: the connection is gone
        if conversation in self.refusing:
            status = self.refusing[conversation]
            self.refused.append((request.method, status))
            return _error(status, {"Retry-After": "1"} if status == 429 else {})
        if not self.failures:
            return None
        status, headers = self.failures.pop(0)
        self.refused.append((request.method, status))
        return _error(status, headers)

    async def post(self, request: web.Request) -> web.Response:
        if (refusal := await self._refusal(request)) is not None:
            return refusal
        raw = await request.read()
        body = json.loads(raw)
        activity_id = f"1:{next(self._ids)}"
        self._keep(
            Sent(
                "POST",
                request.match_info["conversation"],
                activity_id,
                body,
                request.headers.get("Authorization"),
                request.match_info.get("reply_to"),
                raw,
            )
        )
        return web.json_response({"id": activity_id}, status=201)

    async def put(self, request: web.Request) -> web.Response:
        if (refusal := await self._refusal(request)) is not None:
            return refusal
        raw = await request.read()
        body = json.loads(raw)
        activity_id = request.match_info["activity"]
        conversation = request.match_info["conversation"]
        authorization = request.headers.get("Authorization")
        self._keep(Sent("PUT", conversation, activity_id, body, authorization, raw=raw))
        return web.json_response({"id": activity_id})

    def _keep(self, sent: Sent) -> None:
        self.sent.append(sent)
        self._by_conversation.setdefault(sent.conversation_id, []).append(sent)
        if sent.method == "PUT":
            self._newest_body[(sent.conversation_id, sent.activity_id)] = sent.body

    async def member(self, request: web.Request) -> web.Response:
        if (refusal := await self._refusal(request)) is not None:
            return refusal
        user_id = request.match_info["user"]
        self.lookups.append(user_id)
        member = self.members.get(user_id)
        if member is None:
            body = {"error": {"code": "MemberNotFoundInConversation", "message": "not found"}}
            return web.json_response(body, status=404)
        given, _, surname = member.name.partition(" ")
        return web.json_response(
            {
                "id": member.user_id,
                "name": member.name,
                "aadObjectId": member.aad_object_id,
                "givenName": given,
                "surname": surname,
                "email": member.email,
                "userPrincipalName": member.email,
                "tenantId": TENANT,
                "userRole": "user",
            }
        )

    def to(self, conversation_id: str) -> list[Sent]:
        return list(self._by_conversation.get(conversation_id, ()))

    def now(self, sent: Sent) -> dict[str, Any]:
        """An activity as the person sees it now: a PUT to its id replaces it ("Update
        activity", PUT /v3/conversations/{conversationId}/activities/{activityId}:
        learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference
        #update-activity), as the bot does to a card whose question was answered."""
        return self._newest_body.get((sent.conversation_id, sent.activity_id), sent.body)


def _error(status: int, headers: dict[str, str]) -> web.Response:
    code, message = ERROR_CODES.get(status, ("ServiceError", "The service is unavailable."))
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers
    )


def text_of(activity: dict[str, Any]) -> str:
    """Everything a person would read in an activity: its text and its cards' texts, as JSON
    strings (so tests can search for a reference or a label)."""
    return (activity.get("text") or "") + json.dumps(activity.get("attachments") or [])
