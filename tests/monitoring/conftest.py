"""The monitoring tests' bots: the example school with a provider set up, its secret in the
environment, a recording channel beside the web chat for the team's alerts and the filtering
checks' asks, and school files to vary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import example_config_with
from tests.monitoring.webhook import SECRET, SECRET_ENV, school_file
from tests.support.notifiers import RecordingChannel


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def school_with(tmp_path: Path):
    def write(**changes: Any) -> Path:
        return example_config_with(tmp_path, **changes)

    return write


@pytest.fixture
def monitored_school(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    return school_file(tmp_path)
