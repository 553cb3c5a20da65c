"""A monitoring provider, as the webhook tests play it: its entry in the school file (a generic
mapping: no provider publishes its webhook format, see test_webhook.py), alerts in its JSON,
signed with its secret and posted over loopback, and the rows a request may have stored."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Bot
from bot.monitoring.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from bot.server import create_app
from storage.models import Event, MonitoringAlert, MonitoringGroup, Outbox, Report
from tests.conftest import example_config_with
from tests.support.reports import count

PROVIDER = "school-monitor"
SECRET_ENV = "MONITORING_SCHOOL_MONITOR_SECRET"
SECRET = "a shared secret only the provider and the bot know"

# The generic mapping as a school writes it: where each part is in this provider's JSON.
PROVIDER_ENTRY: dict[str, Any] = {
    "mapping": {
        "id": "$.alert.id",
        "severity": "$.alert.level",
        "category": "$.alert.category",
        "user": "$.subject.username",
        "device": "$.subject.device",
        "time": "$.alert.raised_at",
        "description": "$.alert.summary",
        "console_url": "$.links.console",
    },
    "severity_map": {"1": "low", "2": "medium", "3": "high", "4": "critical", "5": "critical"},
}


def school_file(directory: Path, **changes: Any) -> Path:
    """The example school file with the provider set up (and any other changes)."""
    return example_config_with(
        directory, monitoring__providers={PROVIDER: PROVIDER_ENTRY}, **changes
    )


def alert(
    alert_id: str,
    *,
    level: int = 3,
    user: str = "jsmith07",
    category: str = "self-harm",
    at: datetime,
) -> dict[str, Any]:
    return {
        "alert": {
            "id": alert_id,
            "level": level,
            "category": category,
            "raised_at": at.isoformat(),
            "summary": "Searched for ways to hurt themselves",
        },
        "subject": {"username": user, "device": "LIB-PC-07"},
        "links": {"console": "https://console.monitor.example/captures/123"},
    }


@asynccontextmanager
async def served(bot: Bot) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """The real application on a loopback port."""
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        yield client


async def post(
    client: TestClient[web.Request, web.Application],
    body: bytes | dict[str, Any],
    *,
    now: datetime,
    secret: str = SECRET,
    provider: str = PROVIDER,
    timestamp: str | None = None,
    sign: bool = True,
) -> ClientResponse:
    """POST a body, signed as the provider signs it (at `now`, or with `timestamp` given)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = timestamp if timestamp is not None else str(int(now.timestamp()))
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: stamp}
    if sign:
        headers[SIGNATURE_HEADER] = signature(secret, stamp, raw)
    return await client.post(f"/api/monitoring/{provider}", data=raw, headers=headers)


async def stored(bot: Bot) -> dict[str, int]:
    """How many rows of each kind a webhook request could have written."""
    return {
        model.__tablename__: await count(bot, model)
        for model in (Report, MonitoringAlert, MonitoringGroup, Outbox, Event)
    }
