"""The review pack in the web chat: the completion card links the year's filtering checks (CSV)
beside the document, and the CSV is downloaded by who may read the review only (the governor
yes, any other member of staff no), each download recorded."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy import select

from bot.app import build_bot, prepare_storage
from storage.models import Event
from tests.monitoring.test_review import ANSWERS, REVIEW_DAY
from tests.monitoring.test_review_figures import _seed
from tests.support.clock import FakeClock
from tests.web.chat import DSL, STAFF, asked, items, open_chat, serve, sign_in, web_settings

GOVERNOR = "j.whitcombe@example.org"
CHECKS = "/api/web/filtering-review/2026/checks.csv"


async def test_the_years_checks_go_with_the_document_and_only_to_its_readers(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    clock.now = REVIEW_DAY
    bot = build_bot(web_settings(database_url, tmp_path), clock=clock)
    await prepare_storage(bot)
    await _seed(bot)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (dsl, _hello, _first):
            frame = await dsl.text("filtering review")
            while asked(frame)["kind"] != "summary":
                frame = await dsl.text(ANSWERS[asked(frame)["step_id"]])
            frame = await dsl.action("__submit")
            assert CHECKS in json.dumps(items(frame))
    for email, status in ((GOVERNOR, 200), (STAFF, 403)):
        async with serve(bot) as other:
            await sign_in(other, email)
            response = await other.get(CHECKS)
            assert response.status == status, email
            if status == 200:
                assert response.content_type == "text/csv"
                rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
                assert [row[0] for row in rows[1:]] == ["2025-09-15", "2026-03-03", "2026-06-10"]
                assert "Blocked" in rows[1] and "Not blocked" in rows[1]  # the flow's words
    async with bot.router.sessions() as session:
        exported = list(
            await session.scalars(
                select(Event.detail).where(Event.kind == "filtering_review_exported")
            )
        )
    assert {"year": 2026, "file": "checks.csv"} in exported
    await bot.engine.dispose()
