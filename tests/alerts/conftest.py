"""Bots with a recording channel beside the web chat, and ways to move their alerts along."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import example_config_with
from tests.support.notifiers import RecordingChannel


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def school_with(tmp_path: Path):
    """Write a copy of the example school config with some settings changed."""

    def write(**changes: Any) -> Path:
        return example_config_with(tmp_path, **changes)

    return write
