"""Flow files for the loader's tests: small steps and flows, written out, expected refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs.loader import FlowError, load_flow


def colour(**extra: Any) -> dict[str, Any]:
    return {
        "id": "colour",
        "kind": "choice",
        "label": "Colour",
        "prompt": "Which colour?",
        "options": [{"value": "red", "label": "Red"}, {"value": "blue", "label": "Blue"}],
        **extra,
    }


def step(step_id: str, kind: str = "text", **extra: Any) -> dict[str, Any]:
    return {"id": step_id, "kind": kind, "label": step_id.title(), "prompt": "Well?", **extra}


def tags(**extra: Any) -> dict[str, Any]:
    return step(
        "tags",
        "multi_choice",
        options=[{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
        **extra,
    )


def flow(*steps: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": "test",
        "version": 1,
        "title": "A test flow",
        "report_kind": "concern",
        "intro": "Hello.",
        "help": "Some help.",
        "summary_title": "Your answers",
        "steps": list(steps) or [colour()],
        **fields,
    }


def write(folder: Path, data: Any, name: str = "flow.yaml") -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def assert_refused(folder: Path, data: Any, *fragments: str) -> str:
    """Load `data` from a file, expect a FlowError naming the file and every fragment."""
    path = write(folder, data)
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    for fragment in fragments:
        assert fragment in message, message
    return message
