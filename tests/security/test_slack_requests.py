"""Issue 13: what reaches /slack/events (events, interactivity, options and the slash command
all come to this one route) gets a 4xx or Slack's expected 200 with nothing, never a 500 or a
traceback, even when it is signed correctly but malformed.

What Slack expects, and what is answered here:
- a request that is not Slack's (unsigned, badly signed, or with a timestamp more than five
  minutes off: "Verifying requests from Slack", api.slack.com/authentication/
  verifying-requests-from-slack): 401, before the body is parsed;
- a body that is not what Slack sends (not UTF-8, not JSON, a `payload=` form field that is not
  a JSON object, too large): 400, or 413 for the size;
- a payload that parses but is not one the bot acts on, or lacks what Slack always sends
  (`user` not an object, `actions` not a list...): acknowledged, 200 with an empty body
  (docs.slack.dev/interactivity/handling-user-interaction: acknowledge within 3 s; Slack
  shows the person an error for anything else), and nothing done;
- a block_suggestion the bot cannot read: 200 with no options
  (docs.slack.dev/tools/bolt-python/concepts/acknowledge: an options request is acknowledged
  with the options).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.slack.conftest import STAFF, running_world
from tests.slack.payloads import click, dm, suggestion
from tests.slack.world import TEAM, SlackWorld
from tests.support.clock import FakeClock

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@pytest.fixture
async def world(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[SlackWorld]:
    async with running_world(database_url, tmp_path, clock) as running:
        yield running


def interaction(payload: object) -> tuple[bytes, str]:
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM


def event(envelope: object) -> tuple[bytes, str]:
    return json.dumps(envelope).encode(), JSON


def command(**form: str) -> tuple[bytes, str]:
    fields = {"command": "/online-safety", "text": "report", "user_id": STAFF, "team_id": TEAM}
    fields.update(form)
    return urlencode({k: v for k, v in fields.items() if v != "-"}).encode(), FORM


def without(payload: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != key}


# Signed as Slack signs, but not a body Slack sends: 400.
NOT_SLACKS = {
    "not UTF-8": (b"\xff\xfe{\x00", JSON),
    "not JSON": (b"{not json", JSON),
    "a JSON array": (b"[1, 2]", JSON),
    "a JSON string": (b'"event_callback"', JSON),
    "JSON null": (b"null", JSON),
    "payload= not JSON": (b"payload=%7Bnot+json", FORM),
    "payload= a JSON array": (b"payload=%5B1%5D", FORM),
    "payload= a JSON string": (b"payload=%22x%22", FORM),
    "payload= not UTF-8 once decoded": (b"payload=%FF%FE", FORM),
}

# Signed, and JSON objects, but not what Slack sends: acknowledged (200, nothing), no turn.
MALFORMED = {
    "type a number": interaction(click(type=5)),
    "user a string": interaction(click(user=STAFF)),
    "user null": interaction(click(user=None)),
    "user id a number": interaction(click(user={"id": 5, "team_id": TEAM})),
    "team a string": interaction(click(team=TEAM, user={"id": STAFF})),
    "actions a string": interaction(click(actions="opt:0")),
    "actions empty": interaction(click(actions=[])),
    "an action a number": interaction(click(actions=[5])),
    "action_id a number": interaction(click(actions=[{"type": "button", "action_id": 5}])),
    "action without action_id": interaction(click(actions=[{"type": "button", "value": "x"}])),
    "view a string": interaction(click(view="V1", container={"type": "view"})),
    "state a list": interaction(
        click(state=[], actions=[{"type": "button", "action_id": "multi_done", "action_ts": "1"}])
    ),
    "message a string": interaction(click(message="hi")),
    "block_suggestion without value": interaction(without(suggestion(), "value")),
    "block_suggestion value a number": interaction(suggestion(value=5)),
    "block_suggestion user a string": interaction(suggestion(user=STAFF)),
    "block_suggestion action_id a list": interaction(suggestion(action_id=["person_pick"])),
    "view_submission view a string": interaction({"type": "view_submission", "view": "x"}),
    "shortcut user a string": interaction(
        {"type": "shortcut", "callback_id": "report_concern", "user": STAFF, "team": {"id": TEAM}}
    ),
    "shortcut callback_id a number": interaction(
        {"type": "shortcut", "callback_id": 5, "user": {"id": STAFF}, "team": {"id": TEAM}}
    ),
    "event a string": event({**dm(), "event": "message"}),
    "event null": event({**dm(), "event": None}),
    "event type a number": event(dm(type=5)),
    "event user a number": event(dm(user=5)),
    "event text a list": event(dm(text=["hello"])),
    "event files a string": event(dm(files="a.png")),
    "envelope type a list": event({**dm(), "type": ["event_callback"]}),
    "team_id a number": event({**dm(), "team_id": 5}),
    "url_verification without challenge": event({"type": "url_verification"}),
    "url_verification challenge an object": event({"type": "url_verification", "challenge": {}}),
    "command without user_id": command(user_id="-"),
    "command name a path": command(command="online-safety"),
}


def no_errors(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [(r.name, r.getMessage(), r.exc_info is not None) for r in errors]


async def nothing_done(world: SlackWorld) -> None:
    """No message posted, no DM opened, no report started."""
    for method in ("chat.postMessage", "conversations.open", "chat.update", "views.publish"):
        assert world.api.called(method) == [], method


@pytest.mark.parametrize("case", list(NOT_SLACKS))
async def test_a_signed_body_slack_never_sends_gets_400(
    world: SlackWorld, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, content_type = NOT_SLACKS[case]
    response = await world.post_bytes(body, content_type)
    assert response.status == 400
    answer = await response.json()
    assert set(answer) == {"error"} and len(answer["error"]) <= 120
    await world.settle()
    no_errors(caplog)
    await nothing_done(world)


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_a_signed_malformed_payload_is_acknowledged_and_ignored(
    world: SlackWorld, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, content_type = MALFORMED[case]
    response = await world.post_bytes(body, content_type)
    assert response.status in (200, 400, 404), response.status
    await world.settle()
    no_errors(caplog)
    await nothing_done(world)


async def test_a_malformed_block_suggestion_gets_no_options(world: SlackWorld) -> None:
    body, content_type = interaction(without(suggestion(), "value"))
    response = await world.post_bytes(body, content_type)
    assert response.status == 200
    assert await response.json() == {"options": []}


async def test_a_well_formed_dm_is_still_answered(world: SlackWorld) -> None:
    """The control for the tests above: the same envelope, unbroken, gets a turn and a reply."""
    body, content_type = event(dm())
    response = await world.post_bytes(body, content_type)
    assert response.status == 200
    await world.settle()
    assert world.api.posts_to(STAFF) != []


# Each read when its request is sent: a timestamp taken at import would be inside Slack's
# five-minute window again by the time a long run reaches the test.
NOT_FROM_SLACK = {
    "unsigned": lambda: {"signature": ""},
    "badly signed": lambda: {"signature": "v0=" + "0" * 64},
    "signed with another secret": lambda: {"signature": "v0=deadbeef"},
    "stale timestamp": lambda: {"timestamp": str(int(time.time()) - 600)},
    "timestamp in the future": lambda: {"timestamp": str(int(time.time()) + 600)},
    "timestamp not a number": lambda: {"timestamp": "yesterday"},
    "timestamp empty": lambda: {"timestamp": ""},
}


@pytest.mark.parametrize("case", list(NOT_FROM_SLACK))
async def test_a_request_not_from_slack_gets_401(
    world: SlackWorld, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, content_type = event(dm())
    response = await world.post_bytes(body, content_type, **NOT_FROM_SLACK[case]())
    assert response.status == 401
    await world.settle()
    no_errors(caplog)
    await nothing_done(world)


async def test_a_2_mb_body_is_too_large(
    world: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    body, content_type = event(dm(text="x" * 2_000_000))
    response = await world.post_bytes(body, content_type)
    assert response.status == 413
    assert "too large" in (await response.json())["error"]
    no_errors(caplog)
    await nothing_done(world)
