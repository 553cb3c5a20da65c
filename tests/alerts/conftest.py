"""Bots with a recording channel beside the web chat, and ways to move their alerts along."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLE_CONFIG
from tests.support.notifiers import RecordingChannel


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def school_with(tmp_path: Path):
    """Write a copy of the example school config with some settings changed."""

    def write(**changes: Any) -> Path:
        data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
        for dotted, value in changes.items():
            target = data
            *path, last = dotted.split("__")
            for key in path:
                target = target.setdefault(key, {})
            target[last] = value
        path = tmp_path / "school.yaml"
        path.write_text(yaml.safe_dump(data))
        return path

    return write
