"""Real-shaped Slack requests the bot acts on: a DM event, a button click, a type-ahead
suggestion (docs.slack.dev/reference/interaction-payloads), for tests that then break them.
Each takes changes to its top level."""

from __future__ import annotations

import time
from typing import Any

from tests.slack.conftest import STAFF
from tests.slack.world import TEAM


def dm(**event: Any) -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": TEAM,
        "api_app_id": "A0APP",
        "event_id": "Ev00000001",
        "event_time": int(time.time()),
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": "D" + STAFF,
            "user": STAFF,
            "text": "hello",
            "ts": f"{int(time.time())}.000001",
            **event,
        },
    }


def click(**changes: Any) -> dict[str, Any]:
    payload = {
        "type": "block_actions",
        "user": {"id": STAFF, "team_id": TEAM},
        "team": {"id": TEAM},
        "api_app_id": "A0APP",
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": "D" + STAFF},
        "channel": {"id": "D" + STAFF, "name": "directmessage"},
        "message": {"type": "message", "ts": "1.000001", "text": "", "blocks": []},
        "state": {"values": {}},
        "trigger_id": "1.2.3",
        "actions": [
            {
                "type": "button",
                "action_id": "opt:0",
                "block_id": "ask|x.1|0",
                "value": "start:concern",
                "action_ts": "1.000002",
            }
        ],
    }
    payload.update(changes)
    return payload


def suggestion(**changes: Any) -> dict[str, Any]:
    payload = {
        "type": "block_suggestion",
        "user": {"id": STAFF, "team_id": TEAM},
        "team": {"id": TEAM},
        "action_id": "person_pick",
        "block_id": "person:who",
        "value": "Ali",
    }
    payload.update(changes)
    return payload
