"""The monitoring tests' bots: the example school with a provider set up, its secret in the
environment, and a recording channel beside the web chat for the team's alerts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.monitoring.webhook import SECRET, SECRET_ENV, school_file
from tests.support.notifiers import RecordingChannel


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def monitored_school(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    return school_file(tmp_path)
