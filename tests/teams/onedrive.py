"""A fake OneDrive upload session, and the Teams file consent card as the tests find it and
answer it (Allow or Decline): for the tests of files sent in Teams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestServer

from tests.teams.connector import Sent
from tests.teams.world import TeamsWorld

FILENAME = "online-safety-audit-2026-27.csv"
UNIQUE_ID = "8E1C2D3F-4A5B-4C6D-8E7F-9A0B1C2D3E4F"
CONTENT_URL = "https://example-school-my.sharepoint.com/personal/a_hartley/Documents/" + FILENAME
CONSENT = "application/vnd.microsoft.teams.card.file.consent"
INFO = "application/vnd.microsoft.teams.card.file.info"


@dataclass
class Put:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeOneDrive:
    """OneDrive's upload sessions: a PUT of the whole file is answered 201 with the new item."""

    status: int = 201
    delay: float = 0.0
    puts: list[Put] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_put("/upload/{session}", self.put)
        return app

    async def put(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.puts.append(Put(request.path_qs, dict(request.headers), body))
        await asyncio.sleep(self.delay)
        if self.status in (200, 201):
            item = {"id": "01ABCDEF", "name": FILENAME, "size": len(body), "file": {}}
            return web.json_response(item, status=self.status)
        return web.json_response({"error": {"code": "generalException"}}, status=self.status)


@pytest.fixture
async def onedrive() -> AsyncIterator[tuple[FakeOneDrive, str]]:
    fake = FakeOneDrive()
    server = TestServer(fake.app())
    await server.start_server()
    try:
        yield fake, str(server.make_url("/upload/5d0e6f7a?tempauth=SECRET-TEMPAUTH"))
    finally:
        await server.close()


def consent_in(activity: dict[str, Any]) -> dict[str, Any] | None:
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == CONSENT:
            return dict(attachment)
    return None


async def answer(
    world: TeamsWorld,
    user: str,
    offer: Sent,
    action: str,
    upload_url: str,
    context: dict[str, Any] | None = None,
) -> ClientResponse:
    """Press Allow ("accept") or Decline on `offer`, as Teams tells the bot: an invoke."""
    card = consent_in(offer.body)
    assert card is not None
    key = "acceptContext" if action == "accept" else "declineContext"
    value: dict[str, Any] = {
        "type": "fileUpload",
        "action": action,
        "context": card["content"][key] if context is None else context,
    }
    if action == "accept":
        value["uploadInfo"] = {
            "contentUrl": CONTENT_URL,
            "name": FILENAME,
            "uploadUrl": upload_url,
            "uniqueId": UNIQUE_ID,
            "fileType": "csv",
            "etag": '"{' + UNIQUE_ID + '},1"',
        }
    activity = world.activity(
        user, type="invoke", name="fileConsent/invoke", value=value, replyToId=offer.activity_id
    )
    return await world.post(activity)
