"""A database as an older version of the bot left it, for tests of what an upgrade does to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bot.app import build_bot
from bot.record.events import record_event
from bot.settings import Settings
from storage.migrate import upgrade
from storage.models import Report


async def report_from_before_binding(
    *,
    data_dir: Path,
    database_url: str,
    school_config: Path,
    clock: Callable[[], datetime],
    document: dict[str, Any],
) -> tuple[int, bytes]:
    """One submitted report stored the old way: its answers a Fernet token (which opens in any
    row) and its `submitted` entry without a binding. Returns the report's id and the key."""
    settings = Settings(data_dir=data_dir, database_url=database_url, school_config=school_config)
    bot = build_bot(settings, clock=clock)
    await upgrade(bot.engine)
    key = bot.settings.key_file.read_bytes().split()[0]
    now = clock()
    async with bot.router.sessions() as session, session.begin():
        report = Report(
            reference="OS-2025-00042",
            kind="concern",
            category="commerce",
            status="submitted",
            reporter_email="t.brannigan@example.org",
            channel="test",
            flow_id="concern",
            flow_version=1,
            urgent=False,
            allegation=False,
            allegation_about_head=False,
            answers_enc=Fernet(key).encrypt(json.dumps(document).encode()),
            created_at=now,
            updated_at=now,
            submitted_at=now,
        )
        session.add(report)
        await session.flush()
        await record_event(
            session,
            kind="submitted",
            at=now,
            actor_email=report.reporter_email,
            report_id=report.id,
            detail={"kind": "concern", "category": "commerce"},
        )
        report_id = report.id
    await bot.engine.dispose()
    return report_id, key
