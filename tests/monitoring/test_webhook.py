"""POST /api/monitoring/<provider> over loopback, on both databases: a signed alert files a
`monitoring_alert` report and alerts the DSL team through the outbox; every refusal is a clear
4xx JSON error and stores nothing (the rows are counted before and after).

No built-in provider mapping is tested here because none could be written from a published
document: the webhook or API alert formats of Smoothwall Monitor, Senso, Securly, Linewize
(Qoria), Impero, Lightspeed Alert, GoGuardian Beacon and Netsweeper are not public (searched
December 2026; their public help pages describe e-mail alerts and risk levels only, e.g.
https://monitorhelp.smoothwall.com/hc/en-gb/articles/10284333805596 and
https://sites.google.com/linewize.com/learning-resources/monitor/considerations-and-best-practices).
A school maps its provider's JSON with the generic mapping of the school file, as here.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import yaml
from sqlalchemy import select

from bot.delivery.messages import Card
from bot.monitoring.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER
from bot.reports.service import read_answers
from bot.school.config import SchoolConfigError
from bot.school.monitoring_settings import Monitoring
from storage.models import MonitoringAlert, Outbox
from tests.alert_rules.test_alert_rules_config import uncommented
from tests.conftest import EXAMPLE_CONFIG
from tests.monitoring.webhook import PROVIDER, SECRET_ENV, alert, post, school_file, served, stored
from tests.support.alerts import DSL, TEAM
from tests.support.reports import count, only_report


async def test_a_signed_alert_files_a_report_and_alerts_the_dsl_team(
    make_bot, channel, monitored_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    async with served(bot) as client:
        response = await post(client, alert("A-1", at=clock.now), now=clock.now)
        assert response.status == 201, await response.text()
        answer = await response.json()
        await channel.until("the team alerted", lambda: channel.recipients() == TEAM)
    assert answer["ok"] is True
    assert answer["count"] == 1
    assert answer["reference"].startswith("MA-2026-")
    report = await only_report(bot)
    assert (report.kind, report.status, report.category) == (
        "monitoring_alert",
        "submitted",
        "self-harm",
    )
    assert report.urgent is False  # level 3 of 5: high, not the provider's highest
    assert report.allegation is False  # a pupil's account: never about an adult at school
    assert report.case_status == "open"
    (card,) = channel.cards(DSL)
    assert isinstance(card, Card)
    assert card.title == f"Monitoring alert {report.reference}"
    fields = {f.label: f.value for f in card.fields}
    assert fields["Kind"] == "Monitoring alert: self-harm"
    assert fields["Reported by"] == f"{PROVIDER} (monitoring provider)"
    # The pupil's account and what was captured are encrypted, and shown on "View" only.
    assert "jsmith07" not in json.dumps(fields)
    assert b"jsmith07" not in bytes(report.answers_enc or b"")
    rows = {
        r["step"]: r["answer"]
        for r in (await read_answers(cipher=bot.cipher, report=report))["rows"]
    }
    assert rows["user"] == "jsmith07"
    assert rows["device"] == "LIB-PC-07"
    assert rows["description"] == "Searched for ways to hurt themselves"
    assert rows["console_url"] == "hxxps://console[.]monitor[.]example/captures/123"  # defanged
    alerts = [r for r in await _outbox(bot) if r.kind == "alert"]
    assert {(r.recipient_email, r.level) for r in alerts} == {(e, 0) for e in TEAM}


async def test_the_providers_highest_level_files_an_urgent_report(
    make_bot, channel, monitored_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    async with served(bot) as client:
        response = await post(client, alert("A-1", level=5, at=clock.now), now=clock.now)
        assert response.status == 201, await response.text()
        await channel.until("the team alerted", lambda: channel.recipients() == TEAM)
    report = await only_report(bot)
    assert report.urgent is True
    assert report.urgent_reasons == ["highest_provider_severity"]
    (card,) = channel.cards(DSL)
    assert card.tone == "urgent"


REFUSALS = {
    # what is wrong: (how the request is made, the status, the code)
    "no signature": (dict(sign=False), 401, "bad_signature"),
    "wrong secret": (dict(secret="not the secret"), 401, "bad_signature"),
    "no timestamp": (dict(timestamp=""), 401, "bad_timestamp"),
    "timestamp not a number": (dict(timestamp="yesterday"), 401, "bad_timestamp"),
    "unknown provider": (dict(provider="someone-else"), 404, "unknown_provider"),
}


@pytest.mark.parametrize("what", REFUSALS)
async def test_a_request_not_signed_by_the_provider_is_refused_and_stores_nothing(
    make_bot, channel, monitored_school, clock, what
):
    how, status, code = REFUSALS[what]
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    before = await stored(bot)
    async with served(bot) as client:
        response = await post(client, alert("A-1", at=clock.now), now=clock.now, **how)
        answer = await response.json()
    assert response.status == status, answer
    assert (answer["ok"], answer["code"]) == (False, code)
    assert answer["error"]
    assert await stored(bot) == before


@pytest.mark.parametrize(("minutes", "accepted"), [(-6, False), (6, False), (-4, True), (4, True)])
async def test_a_timestamp_more_than_five_minutes_away_is_refused_as_a_replay(
    make_bot, channel, monitored_school, clock, minutes, accepted
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    before = await stored(bot)
    sent_at = clock.now + timedelta(minutes=minutes)
    async with served(bot) as client:
        # Signed correctly, at that time: only its age is wrong.
        response = await post(client, alert("A-1", at=clock.now), now=sent_at)
        answer = await response.json()
    if accepted:
        assert response.status == 201, answer
        assert await count(bot, MonitoringAlert) == 1
    else:
        assert (response.status, answer["code"]) == (401, "bad_timestamp")
        assert "300 seconds" in answer["error"]
        assert await stored(bot) == before


async def test_the_same_alert_id_again_is_refused_and_stores_nothing_more(
    make_bot, channel, monitored_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    async with served(bot) as client:
        first = await post(client, alert("A-1", at=clock.now), now=clock.now)
        assert first.status == 201
        after_first = await stored(bot)
        clock.advance(seconds=30)  # a fresh timestamp and signature: only the id is old
        again = await post(client, alert("A-1", at=clock.now), now=clock.now)
        answer = await again.json()
    assert (again.status, answer["code"]) == (409, "replay")
    assert await stored(bot) == after_first


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "bad_json"),
        (b"\xff\xfe\x00", 400, "bad_json"),
        (b"[1, 2, 3]", 400, "bad_json"),
        (b'"just a string"', 400, "bad_json"),
        (json.dumps({"alert": {"level": 3}}).encode(), 422, "bad_alert"),  # no id
        (json.dumps({"alert": {"id": "A-1"}}).encode(), 422, "bad_alert"),  # no level
        (json.dumps({"alert": {"id": {"x": 1}, "level": 3}}).encode(), 422, "bad_alert"),
    ],
)
async def test_a_signed_body_that_is_not_an_alert_is_refused_and_stores_nothing(
    make_bot, channel, monitored_school, clock, body, status, code
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    before = await stored(bot)
    async with served(bot) as client:
        response = await post(client, body, now=clock.now)
        answer = await response.json()
    assert (response.status, answer["code"]) == (status, code), answer
    assert answer["error"]
    assert await stored(bot) == before


async def test_a_body_over_the_limit_is_refused_unread_and_stores_nothing(
    make_bot, channel, monitored_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    before = await stored(bot)
    padded = alert("A-1", at=clock.now)
    padded["alert"]["summary"] = "x" * (64 * 1024)
    async with served(bot) as client:
        response = await post(client, padded, now=clock.now)
        answer = await response.json()
    assert (response.status, answer["code"]) == (413, "too_large")
    assert "65536 bytes" in answer["error"]
    assert await stored(bot) == before


async def test_a_provider_without_its_secret_stops_the_bot_at_start_naming_the_variable(
    make_bot, tmp_path, monkeypatch
):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    with pytest.raises(SchoolConfigError) as caught:
        await make_bot(school_config=school_file(tmp_path))
    assert SECRET_ENV in str(caught.value)
    assert f"monitoring: providers: {PROVIDER}" in str(caught.value)


async def _outbox(bot) -> list[Outbox]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(Outbox)))


async def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(
    make_bot, channel, monitored_school, clock
):
    bot = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    before = await stored(bot)

    async def chunks():  # no Content-Length: the limit is counted as the body arrives
        for _ in range(100):
            yield b"x" * 1024

    stamp = str(int(clock.now.timestamp()))
    headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: "sha256=00"}
    async with served(bot) as client:
        response = await client.post(f"/api/monitoring/{PROVIDER}", data=chunks(), headers=headers)
        answer = await response.json()
    assert (response.status, answer["code"]) == (413, "too_large")
    assert await stored(bot) == before


def test_the_example_school_files_monitoring_section_reads_as_written() -> None:
    """The commented example in config/school.example.yaml, uncommented, is a valid section."""
    heads = ("max_body_bytes: 65536", "max_age_seconds: 300", "providers:")
    section = yaml.safe_load(uncommented(EXAMPLE_CONFIG.read_text(), heads))["monitoring"]
    monitoring = Monitoring.model_validate(section)
    (name,) = monitoring.providers
    assert monitoring.providers[name].secret_variable(name) == "SCHOOL_MONITOR_WEBHOOK_SECRET"
    assert monitoring.providers[name].severity_map["5"] == "critical"


async def test_two_schools_on_one_database_each_file_their_own_alert_of_the_same_id(
    make_bot, channel, monitored_school, clock
):
    """A provider's alert ids are its own per school account: the same id sent to another
    school (a deployment of its own, SCHOOL_KEY, on the same database) is that school's alert,
    not a replay of the first's."""
    first = await make_bot(notifiers={"test": channel}, school_config=monitored_school)
    second = await make_bot(
        notifiers={"test": channel}, school_config=monitored_school, school_key="riverside"
    )
    for bot in (first, second):
        async with served(bot) as client:
            response = await post(client, alert("A-1", at=clock.now), now=clock.now)
            assert response.status == 201, await response.text()
        assert await count(bot, MonitoringAlert) == 1
    async with served(second) as client:  # the same id to the same school: a replay still
        again = await post(client, alert("A-1", at=clock.now), now=clock.now)
        assert again.status == 409
