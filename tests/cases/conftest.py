"""The cover tests' bots: the recording channel and the school file with changes, as for the
alert tests."""

from tests.alerts.conftest import channel, school_with

__all__ = ["channel", "school_with"]
