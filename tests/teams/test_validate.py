"""The shape check before the SDK (bot/channels/teams/validate.py) passes every activity Teams
sends as stored here, so it refuses only what Teams never sends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.channels.teams.validate import activity_problem

PAYLOADS = sorted((Path(__file__).parent / "payloads").glob("*.json"))


@pytest.mark.parametrize("path", PAYLOADS, ids=[p.stem for p in PAYLOADS])
def test_every_stored_teams_activity_passes(path: Path) -> None:
    assert activity_problem(json.loads(path.read_text())) is None


def test_the_reason_names_a_field_never_a_value() -> None:
    activity = json.loads(PAYLOADS[0].read_text())
    activity["timestamp"] = "secret words someone wrote"  # refused by the SDK's model
    assert activity_problem(activity) == "the activity's timestamp is not valid"
    activity["text"] = 5  # refused by our own check, first
    assert activity_problem(activity) == "the activity's text is not a string"
