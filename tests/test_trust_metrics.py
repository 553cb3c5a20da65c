"""/metrics of a trust's deployment (TRUST_CONFIG): every school's series, each labelled with
the school's key, counted from that school's records and timed by that school's turns and
deliveries alone; a school added by a reload is there at the next scrape."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot
from bot.server import RELOADER, create_app
from tests.support.alerts import file_concern
from tests.support.notifiers import RecordingChannel
from tests.test_metrics import Samples, scrape, total
from tests.web.test_trust_deployment import OAKFIELD_ALONE, write_trust

SCHOOLS = {"oakfield", "riverside"}


def _trust_file(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    return write_trust(folder)


def _as_school(bot: Bot, key: str) -> Bot:
    """The bot as the test harness's Chat talks to one school: that school's router (a person of
    the trust's web chat would reach it through the trust's desk)."""
    part = bot.parts[key]
    return replace(bot, school=part.school, router=part.router, dispatcher=part.dispatcher)


def _schools_of(samples: Samples, name: str) -> set[str]:
    return {
        dict(labels).get("school", "") for (sample, labels), _ in samples.items() if sample == name
    }


async def test_a_report_is_counted_under_its_schools_key_only(make_bot: Any, tmp_path: Path):
    channel = RecordingChannel()
    bot: Bot = await make_bot({"test": channel}, trust_config=_trust_file(tmp_path))
    riverside = _as_school(bot, "riverside")
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        before = await scrape(client)
        assert total(before, "osbot_reports") == 0

        await file_concern(riverside)
        await riverside.dispatcher.deliver_due()
        after = await scrape(client)

    assert total(after, "osbot_reports", school="riverside", kind="concern") == 1
    assert total(after, "osbot_reports", school="oakfield") == 0
    # The timings too: Riverside's turns and deliveries, none of them Oakfield's.
    assert total(after, "osbot_turn_seconds_count", school="riverside") > 0
    assert total(after, "osbot_turn_seconds_count", school="oakfield") == 0
    delivered = total(after, "osbot_alert_delivery_seconds_count", school="riverside")
    assert delivered >= len(channel.deliveries) > 0
    assert total(after, "osbot_alert_delivery_seconds_count", school="oakfield") == 0
    # Every school has its series, and every series says its school.
    assert _schools_of(after, "osbot_turn_seconds_count") == SCHOOLS
    assert _schools_of(after, "osbot_escalations_total") == SCHOOLS
    assert all(dict(labels).get("school") in SCHOOLS for _, labels in after)
    names = {name for (_, labels) in after for name, _ in labels}
    assert names <= {"school", "kind", "status", "channel", "le", "academic_year"}


async def test_each_school_says_whether_this_process_leads_its_jobs(make_bot: Any, tmp_path: Path):
    bot: Bot = await make_bot(trust_config=_trust_file(tmp_path))
    async with TestClient(TestServer(create_app(bot))) as client:  # role all: it leads both
        for _ in range(200):
            samples = await scrape(client)
            if total(samples, "osbot_scheduler_leader") == len(SCHOOLS):
                break
            await asyncio.sleep(0.05)
        for key in SCHOOLS:
            assert total(samples, "osbot_scheduler_leader", school=key) == 1


async def test_a_school_added_by_a_reload_is_in_the_next_scrape(make_bot: Any, tmp_path: Path):
    trust_file = _trust_file(tmp_path)
    both = trust_file.read_text()
    trust_file.write_text(OAKFIELD_ALONE)
    bot: Bot = await make_bot(trust_config=trust_file)
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        assert _schools_of(await scrape(client), "osbot_escalations_total") == {"oakfield"}
        trust_file.write_text(both)
        assert "added riverside" in await client.server.app[RELOADER].reload()

        await file_concern(_as_school(bot, "riverside"))
        after = await scrape(client)
    assert _schools_of(after, "osbot_escalations_total") == SCHOOLS
    assert total(after, "osbot_reports", school="riverside") == 1
    assert total(after, "osbot_turn_seconds_count", school="riverside") > 0
