"""Bots whose school file gives people alert rules, a real SMTP server on loopback, and a
fake of GOV.UK Notify on loopback: nothing leaves the machine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestServer

from tests.alert_rules.fake_notify import TEMPLATE_ID, FakeNotify
from tests.alert_rules.smtp_server import SmtpServer
from tests.conftest import EXAMPLE_CONFIG
from tests.support.net import free_port
from tests.support.notifiers import RecordingChannel

SENDER = "safeguarding-bot@example.org"


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a loopback port, started."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def notify() -> AsyncIterator[tuple[FakeNotify, str]]:
    """The fake Notify API, running, and its base URL."""
    fake = FakeNotify()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


SchoolWriter = Callable[..., Path]


@pytest.fixture
def school_with_rules(tmp_path: Path) -> SchoolWriter:
    """The example school with `rules` (e-mail -> its alert_rules) and the sections given."""

    def write(
        rules: dict[str, list[dict[str, Any]]],
        *,
        smtp_port: int | None = None,
        notify_url: str | None = None,
        **sections: Any,
    ) -> Path:
        data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
        for person in data["people"]:
            if person["email"] in rules:
                person["alert_rules"] = rules[person["email"]]
        if smtp_port is not None:
            data["alert_email"] = {
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "none",
                "from_address": SENDER,
                "bot_link": "https://safeguarding-bot.example.org/",
                "timeout_seconds": 5,
            }
        if notify_url is not None:
            data["alert_sms"] = {"template_id": TEMPLATE_ID, "base_url": notify_url}
        data.update(sections)
        written = tmp_path / "school.yaml"
        written.write_text(yaml.safe_dump(data))
        return written

    return write
