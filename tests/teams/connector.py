"""A fake Bot Connector on loopback: the Bot Framework REST API that Teams' service URL serves.

It records what the bot sends (POST .../activities, POST .../activities/{replyToId}, PUT
.../activities/{id}), answers the member lookup (GET .../members/{userId}) with Teams' shape
(email, userPrincipalName, aadObjectId...), and can be told to refuse the next calls with 429
and a Retry-After, or with 412/502/504, as Teams does when a bot goes too fast.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


@dataclass
class Sent:
    method: str
    conversation_id: str
    activity_id: str | None  # the id the bot was given (POST) or the one it replaced (PUT)
    body: dict[str, Any]
    authorization: str | None
    reply_to: str | None = None
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
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

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

    def _refusal(self, request: web.Request) -> web.Response | None:
        if not self.failures:
            return None
        status, headers = self.failures.pop(0)
        self.refused.append((request.method, status))
        body = {"error": {"code": "TooManyRequests" if status == 429 else "ServiceError"}}
        return web.json_response(body, status=status, headers=headers)

    async def post(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        body = await request.json()
        activity_id = f"1:{next(self._ids)}"
        self.sent.append(
            Sent(
                "POST",
                request.match_info["conversation"],
                activity_id,
                body,
                request.headers.get("Authorization"),
                request.match_info.get("reply_to"),
            )
        )
        return web.json_response({"id": activity_id}, status=201)

    async def put(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        body = await request.json()
        activity_id = request.match_info["activity"]
        conversation = request.match_info["conversation"]
        self.sent.append(
            Sent("PUT", conversation, activity_id, body, request.headers.get("Authorization"))
        )
        return web.json_response({"id": activity_id})

    async def member(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
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
        return [s for s in self.sent if s.conversation_id == conversation_id]

    def now(self, sent: Sent) -> dict[str, Any]:
        """An activity as the person sees it now: a PUT to its id replaces it ("Update
        activity", PUT /v3/conversations/{conversationId}/activities/{activityId}:
        learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference
        #update-activity), as the bot does to a card whose question was answered."""
        body = sent.body
        for later in self.sent:
            same = (later.conversation_id, later.activity_id)
            if later.method == "PUT" and same == (sent.conversation_id, sent.activity_id):
                body = later.body
        return body


def text_of(activity: dict[str, Any]) -> str:
    """Everything a person would read in an activity: its text and its cards' texts, as JSON
    strings (so tests can search for a reference or a label)."""
    return (activity.get("text") or "") + json.dumps(activity.get("attachments") or [])
