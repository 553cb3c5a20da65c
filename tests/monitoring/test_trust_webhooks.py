"""A trust's deployment takes each school's monitoring provider at the school's own path,
POST /api/monitoring/<school>/<provider>, each with a secret of its own: the alert is filed in
that school's records and alerts that school's DSL team alone; one signed for another school
is refused; and a trust file whose schools would share a secret is refused at start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from bot.app import Bot, TrustNotServed
from storage.models import MonitoringAlert, Report
from tests.monitoring.webhook import PROVIDER, PROVIDER_ENTRY, alert, post, served
from tests.web.test_trust_deployment import RIVERSIDE_DSL, write_trust

SECRETS = {"oakfield": "oakfield's own secret", "riverside": "riverside's own secret"}
RIVERSIDE_TEAM = {RIVERSIDE_DSL, "r.bello@example.org", "r.chen@example.org"}


def with_providers(folder: Path, *, own_secrets: bool = True) -> Path:
    """The trust of tests/web/test_trust_deployment.py, each school with the provider: under a
    secret of its own (`secret_env`), or both under the default name."""
    trust = write_trust(folder)
    for key in SECRETS:
        path = folder / f"{key}.yaml"
        document = yaml.safe_load(path.read_text())
        entry = dict(PROVIDER_ENTRY)
        if own_secrets:
            entry["secret_env"] = f"MONITORING_{key.upper()}_SECRET"
        document.setdefault("monitoring", {})["providers"] = {PROVIDER: entry}
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    return trust


@pytest.fixture
async def trust_bot(
    make_bot: Any, tmp_path: Path, channel: Any, monkeypatch: pytest.MonkeyPatch
) -> Bot:
    for key, secret in SECRETS.items():
        monkeypatch.setenv(f"MONITORING_{key.upper()}_SECRET", secret)
    folder = tmp_path / "config"
    folder.mkdir()
    bot: Bot = await make_bot(notifiers={"test": channel}, trust_config=with_providers(folder))
    return bot


async def post_to(client: Any, school: str, *, signed_for: str, clock: Any) -> Any:
    """Alert A-1 posted to `school`'s path, signed with `signed_for`'s secret."""
    at = clock.now
    return await post(
        client,
        alert("A-1", at=at),
        now=at,
        provider=f"{school}/{PROVIDER}",
        secret=SECRETS[signed_for],
    )


async def filed(bot: Bot, key: str) -> int:
    async with bot.parts[key].sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(MonitoringAlert)) or 0)


async def test_a_school_s_provider_files_in_that_school_and_alerts_its_team_alone(
    trust_bot: Bot, channel: Any, clock: Any
) -> None:
    async with served(trust_bot) as client:
        response = await post_to(client, "riverside", signed_for="riverside", clock=clock)
        assert response.status == 201, await response.text()
        await channel.until(
            "Riverside's team alerted", lambda: channel.recipients() >= RIVERSIDE_TEAM
        )
    assert channel.recipients() == RIVERSIDE_TEAM  # none of Oakfield's people
    assert (await filed(trust_bot, "riverside"), await filed(trust_bot, "oakfield")) == (1, 0)
    async with trust_bot.parts["riverside"].sessions() as session:
        (kind,) = await session.scalars(select(Report.kind))
    assert kind == "monitoring_alert"


async def test_an_alert_signed_for_one_school_is_refused_at_another_s(
    trust_bot: Bot, clock: Any
) -> None:
    async with served(trust_bot) as client:
        signed_for_riverside = await post_to(
            client, "oakfield", signed_for="riverside", clock=clock
        )
        assert signed_for_riverside.status == 401
        nowhere = await post_to(client, "elmwood", signed_for="riverside", clock=clock)
        assert nowhere.status == 404
        # The same alert id, signed for Oakfield, is Oakfield's own first alert.
        own = await post_to(client, "oakfield", signed_for="oakfield", clock=clock)
        assert own.status == 201, await own.text()
    assert (await filed(trust_bot, "oakfield"), await filed(trust_bot, "riverside")) == (1, 0)


async def test_schools_sharing_a_provider_s_secret_are_refused_at_start(
    make_bot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITORING_SCHOOL_MONITOR_SECRET", "one secret for both")
    folder = tmp_path / "config"
    folder.mkdir()
    with pytest.raises(TrustNotServed) as caught:
        await make_bot(trust_config=with_providers(folder, own_secrets=False))
    said = str(caught.value)
    assert "MONITORING_SCHOOL_MONITOR_SECRET" in said and "secret_env" in said
    assert "oakfield (school-monitor)" in said and "riverside (school-monitor)" in said
