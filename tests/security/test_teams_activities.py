"""Issue 13, point 5: /api/messages answers a malformed activity with 400 and a short JSON
error, and a body over the size limit with 413, before the Agents SDK sees any of it: no 500,
no traceback, nothing sent to Teams or stored.

What Teams sends is the Bot Framework Activity (the Activity Protocol's schema,
github.com/microsoft/Agents specs/activity/protocol-activity.md; botframework-schema's
IActivity): `type`, `serviceUrl` and `channelId` strings, `from` and `recipient`
ChannelAccount objects, `conversation` a ConversationAccount, `attachments` and `entities`
lists of objects, `text` a string.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.clock import FakeClock
from tests.teams.conftest import refusing_internet
from tests.teams.security_support import no_errors, nothing_happened, teams_world
from tests.teams.world import STAFF, TeamsWorld

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with refusing_internet(monkeypatch):
        yield


@pytest.fixture
async def world(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[TeamsWorld]:
    async with teams_world(database_url, tmp_path, clock) as running:
        yield running


def message(world: TeamsWorld, **changes: Any) -> dict[str, Any]:
    activity = world.activity(STAFF, type="message", text="hello", textFormat="plain")
    activity.update(changes)
    return activity


def without(world: TeamsWorld, key: str) -> dict[str, Any]:
    activity = message(world)
    del activity[key]
    return activity


MALFORMED = {
    "a JSON array": lambda w: [message(w)],
    "a JSON string": lambda w: "hello",
    "an empty object": lambda w: {},
    "type 5": lambda w: message(w, type=5),
    "from null": lambda w: message(w, **{"from": None}),
    "no serviceUrl": lambda w: without(w, "serviceUrl"),
    "attachments not a list": lambda w: message(w, attachments="photo.jpg"),
    "an attachment not an object": lambda w: message(w, attachments=[5]),
    "entities not a list": lambda w: message(w, entities={"type": "mention"}),
    "an entity not an object": lambda w: message(w, entities=["mention"]),
    "numeric text": lambda w: message(w, text=5),
}


async def assert_refused(response: Any, status: int) -> str:
    assert response.status == status
    assert response.content_type == "application/json"
    body = await response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str)
    assert 0 < len(body["error"]) <= 120 and "Traceback" not in body["error"]
    return str(body["error"])


@pytest.mark.parametrize("shape", list(MALFORMED))
async def test_a_malformed_activity_gets_400_and_reaches_nothing(
    world: TeamsWorld, shape: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = await world.client.post("/api/messages", json=MALFORMED[shape](world))
    await assert_refused(response, 400)
    no_errors(caplog)
    await nothing_happened(world)


async def test_a_well_formed_message_is_still_answered(world: TeamsWorld) -> None:
    """The control for the test above: the same activity, unbroken, gets a turn and a reply."""
    response = await world.client.post("/api/messages", json=message(world))
    assert response.status == 202
    assert world.sent_to(STAFF) != []


async def test_a_body_that_is_not_json_gets_400(
    world: TeamsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"Content-Type": "application/json"}
    response = await world.client.post("/api/messages", data=b"{not json", headers=headers)
    await assert_refused(response, 400)
    no_errors(caplog)
    await nothing_happened(world)


async def test_a_2_mb_body_is_too_large_not_invalid_json(
    world: TeamsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps(message(world, text="x" * 2_000_000)).encode()
    headers = {"Content-Type": "application/json"}
    response = await world.client.post("/api/messages", data=io.BytesIO(body), headers=headers)
    error = await assert_refused(response, 413)
    assert "too large" in error
    no_errors(caplog)
    await nothing_happened(world)
