"""What a trust's deployment sends, as a test reads it: every button a school sends says its
school (`@<key>|<value>`: bot/delivery/school_tags.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot, build_bot, prepare_storage
from bot.delivery.school_tags import untag_value
from bot.reload import RunningSchools
from bot.server import RELOADER, create_app
from bot.settings import Settings
from tests.support.clock import FakeClock


def school_values(values: Iterable[str | None], school: str) -> set[str]:
    """The values as `school` sent them; each must be tagged, and tagged with `school`."""
    found: set[str] = set()
    for value in values:
        if value is None:
            continue
        tagged = untag_value(value)
        assert tagged is not None, f"an untagged button in a trust: {value!r}"
        assert tagged[0] == school, f"another school's button: {value!r}"
        found.add(tagged[1])
    return found


@asynccontextmanager
async def trust_jobs_running(
    settings: Settings, clock: FakeClock
) -> AsyncIterator[tuple[Bot, RunningSchools]]:
    """A trust's deployment serving with its scheduler (`settings.trust_config`), from when
    every school's scheduled jobs run."""
    bot = build_bot(settings, clock=clock)
    await prepare_storage(bot)
    app = create_app(bot, run_scheduler=True)
    try:
        async with TestClient(TestServer(app)):
            running = app[RELOADER].running
            deadline = time.monotonic() + 60
            while not all(r.jobs is not None and r.jobs.running for r in running.running.values()):
                assert time.monotonic() < deadline, "the schools' jobs never started"
                await asyncio.sleep(0.05)
            yield bot, running
    finally:
        await bot.engine.dispose()
