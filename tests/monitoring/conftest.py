"""A recording channel for the filtering checks' asks and alerts, and school files to vary."""

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
    def write(**changes: Any) -> Path:
        return example_config_with(tmp_path, **changes)

    return write
