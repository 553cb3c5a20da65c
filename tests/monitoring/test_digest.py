"""The weekly digest of low-severity monitoring alerts (`monitoring: digest:` in the school file),
through the provider's webhook over loopback, the real outbox and dispatcher, and the scheduled
job run by hand with a clock the tests move: alerts below the level are filed and counted but
alert nobody one by one; the digest goes once, on its day at its time, with the week's counts
and references and never a pupil's account; nothing when none was held; an alert at or above
the level (or a later one of a held group) alerts the team at once; off by default."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.delivery.messages import Card
from bot.monitoring.digest import send_monitoring_digest
from storage.models import Event, Outbox, Report
from tests.monitoring.webhook import SECRET, SECRET_ENV, alert, post, school_file, served
from tests.support.alerts import DEPUTIES, DSL
from tests.support.harness import Chat
from tests.support.reports import count

TUESDAY = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)  # London is on UTC in November
MONDAY_EIGHT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # the digest's day and time
DIGEST = {"below": "high", "weekday": "mon", "at": "08:00"}


@pytest.fixture
def digest_school(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    return school_file(tmp_path, monitoring__digest=DIGEST)


async def _send(bot, clock, *alerts: tuple[str, int, str, str]) -> None:
    """Post (id, level, account, category) alerts at the clock's time."""
    async with served(bot) as client:
        for alert_id, level, user, category in alerts:
            sent = alert(alert_id, level=level, user=user, category=category, at=clock.now)
            assert (await post(client, sent, now=clock.now)).status in (200, 201)


async def _alert_rows(bot) -> list[Outbox]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(Outbox).where(Outbox.kind == "alert")))


async def _reports(bot) -> dict[str, Report]:
    async with bot.router.sessions() as session:
        return {r.category or "": r for r in await session.scalars(select(Report))}


async def test_low_alerts_alert_nobody_one_by_one_and_a_high_one_alerts_at_once(
    make_bot, channel, digest_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=digest_school)
    clock.now = TUESDAY
    await _send(bot, clock, ("A-1", 1, "u1", "gambling"), ("A-2", 2, "u2", "games"))
    await _send(bot, clock, ("A-3", 1, "u1", "gambling"))  # a repeat: counted in A-1's
    assert await _alert_rows(bot) == []
    held = await _reports(bot)
    assert {r.case_status for r in held.values()} == {"digest"}
    assert all(r.alerted_at is None for r in held.values())
    for report in held.values():  # its chronology says why nobody was alerted
        assert (
            await count(bot, Event, Event.kind == "held_for_digest", Event.report_id == report.id)
            == 1
        )
    replies = await Chat(bot, DSL).send("cases")
    assert not [r for r in replies if isinstance(r, Card) and r.card_id == "open-cases"]

    await _send(bot, clock, ("A-4", 3, "u4", "violence"))
    violence = (await _reports(bot))["violence"]
    assert violence.case_status == "open" and violence.alerted_at == TUESDAY
    assert {row.report_id for row in await _alert_rows(bot)} == {violence.id}

    clock.now = TUESDAY + timedelta(minutes=5)  # A-1's group again, graded high: told now
    await _send(bot, clock, ("A-5", 3, "u1", "gambling"))
    gambling = (await _reports(bot))["gambling"]
    assert gambling.case_status == "open" and gambling.alerted_at == clock.now
    assert {row.report_id for row in await _alert_rows(bot)} == {violence.id, gambling.id}
    assert (await _reports(bot))["games"].case_status == "digest"


async def test_the_digest_goes_once_on_its_day_and_time_with_the_weeks_counts(
    make_bot, channel, digest_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=digest_school)
    other = await make_bot(notifiers={"test": channel}, school_config=digest_school)
    clock.now = TUESDAY
    await _send(bot, clock, ("A-1", 1, "jsmith07", "gambling"), ("A-2", 1, "jsmith07", "gambling"))
    await _send(bot, clock, ("A-3", 2, "u2", "games"))
    clock.now = MONDAY_EIGHT - timedelta(minutes=1)
    assert await send_monitoring_digest(bot.jobs) == 0  # not yet
    clock.now = MONDAY_EIGHT
    # Two schedulers at once, then one again later: one digest for the week.
    first, second = await asyncio.gather(
        send_monitoring_digest(bot.jobs), send_monitoring_digest(other.jobs)
    )
    assert first + second > 0 and 0 in (first, second)
    clock.now = MONDAY_EIGHT + timedelta(minutes=15)
    assert await send_monitoring_digest(bot.jobs) == 0
    async with bot.router.sessions() as session:
        rows = list(await session.scalars(select(Outbox).where(Outbox.kind == "monitoring_digest")))
    assert {row.recipient_email for row in rows} == {DSL, *DEPUTIES}
    assert len(rows) == len({(row.recipient_email, row.channel) for row in rows})
    assert await count(bot, Event, Event.kind == "monitoring_digest_queued") == 1

    await bot.dispatcher.deliver_due()
    await channel.until("the DSL's digest", lambda: bool(channel.to(DSL, "monitoring_digest")))
    (delivery,) = channel.to(DSL, "monitoring_digest")
    (card,) = [m for m in delivery.messages if isinstance(m, Card)]
    shown = {f.label: f.value for f in card.fields}
    assert "3 alerts" in (card.text or "") and "below high" in (card.text or "")
    assert shown["By provider"] == "school-monitor: 3"
    assert shown["By category"] == "gambling: 2\ngames: 1"
    assert shown["By severity"] == "Low: 2\nMedium: 1"
    references = sorted(r.reference or "" for r in (await _reports(bot)).values())
    assert shown["References"] == ", ".join(references) and len(references) == 2
    assert "jsmith07" not in repr(card) and "Searched for" not in repr(card)
    # Each held alert opens from the digest, for the DSL to read (and close, or mark).
    held = (await _reports(bot))["gambling"]
    view = f"case:view:{held.id}"
    assert view in [action.value for action in card.actions]
    replies = await Chat(bot, DSL).click(view, token=None)
    assert any(isinstance(r, Card) and (held.reference or "?") in r.title for r in replies)


async def test_no_digest_when_no_alert_was_held(make_bot, channel, digest_school, clock):
    bot = await make_bot(notifiers={"test": channel}, school_config=digest_school)
    clock.now = TUESDAY
    await _send(bot, clock, ("A-1", 3, "u1", "violence"))  # high: alerted, not held
    clock.now = MONDAY_EIGHT
    assert await send_monitoring_digest(bot.jobs) == 0
    assert await count(bot, Outbox, Outbox.kind == "monitoring_digest") == 0
    assert await count(bot, Event, Event.kind == "monitoring_digest_queued") == 0


async def test_off_by_default_a_low_alert_alerts_the_team_at_once(
    make_bot, channel, monitored_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    clock.now = TUESDAY
    await _send(bot, clock, ("A-1", 1, "u1", "gambling"))
    (report,) = (await _reports(bot)).values()
    assert report.case_status == "open"
    assert {row.report_id for row in await _alert_rows(bot)} == {report.id}
    clock.now = MONDAY_EIGHT
    assert await send_monitoring_digest(bot.jobs) == 0
