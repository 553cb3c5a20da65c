"""A bot with Teams on, for the security tests: anonymous (shapes) or with tokens checked."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import ChannelAddress, InboundMessage, Report
from tests.support.clock import FakeClock
from tests.teams.conftest import fake_connector, running_world
from tests.teams.world import TeamsWorld


@contextlib.asynccontextmanager
async def teams_world(
    database_url: str, tmp_path: Path, clock: FakeClock, **settings: Any
) -> AsyncIterator[TeamsWorld]:
    async with (
        fake_connector() as connector,
        running_world(
            database_url=database_url,
            tmp_path=tmp_path,
            clock=clock,
            connector=connector,
            **settings,
        ) as world,
    ):
        yield world


async def nothing_happened(world: TeamsWorld) -> None:
    """Nothing was sent to Teams, looked up there or stored."""
    assert world.connector.sent == [] and world.connector.lookups == []
    async with world.bot.router.sessions() as session:
        for table in (Report, ChannelAddress, InboundMessage):
            assert await session.scalar(select(func.count()).select_from(table)) == 0


def no_errors(caplog: pytest.LogCaptureFixture) -> None:
    """No ERROR record (and so no traceback) in the log."""
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [(r.name, r.getMessage(), r.exc_info is not None) for r in errors]
