"""The review answered through the web chat's real websocket, and its document downloaded from
the links on the completion card: for the people who may read it only, checked on the server
each time, each download and each refusal recorded."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from bot.app import build_bot, prepare_storage
from storage.models import Event, RefusalTally
from tests.monitoring.test_review import ANSWERS, REVIEW_DAY
from tests.support.clock import FakeClock
from tests.web.chat import DSL, STAFF, asked, items, open_chat, serve, sign_in, web_settings

GOVERNOR = "j.whitcombe@example.org"
PDF = "/api/web/filtering-review/2026/review.pdf"
PAGE = "/api/web/filtering-review/2026/review.html"


async def test_answered_in_the_web_chat_and_downloaded_by_who_may(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    clock.now = REVIEW_DAY
    bot = build_bot(web_settings(database_url, tmp_path), clock=clock)
    await prepare_storage(bot)
    async with serve(bot) as client:
        assert (await client.get(PDF)).status == 401  # not signed in
        await sign_in(client, DSL)
        async with open_chat(client) as (dsl, _hello, _first):
            frame = await dsl.text("filtering review")
            for step in ("provision", "responsibility", "changes", "checks", "reports"):
                assert asked(frame)["step_id"] == step
                frame = await dsl.text(ANSWERS[step])
            for step in ("training", "actions"):
                assert asked(frame)["step_id"] == step
                frame = await dsl.text(ANSWERS[step])
            assert asked(frame)["kind"] == "summary"
            frame = await dsl.action("__submit")
            shown = json.dumps(items(frame))
            assert PDF in shown and PAGE in shown
        pdf = await client.get(PDF)
        assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")
        page = await client.get(PAGE)
        body = await page.text()
        assert page.status == 200 and "<h2>Actions agreed</h2>" in body
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert "&lt;script&gt;" in body and "<script>" not in body
    for email, status in ((STAFF, 403), (GOVERNOR, 200)):
        async with serve(bot) as other:
            await sign_in(other, email)
            assert (await other.get(PDF)).status == status, email
    async with serve(bot) as missing:
        await sign_in(missing, DSL)
        assert (await missing.get("/api/web/filtering-review/2025/review.pdf")).status == 404
    async with bot.router.sessions() as session:
        downloads = list(
            await session.scalars(
                select(Event.actor_email).where(Event.kind == "filtering_review_exported")
            )
        )
        refused = set(
            await session.scalars(select(Event.actor_email).where(Event.kind == "refused"))
        )
        tallied = set(await session.scalars(select(RefusalTally.actor_email)))
    assert sorted(downloads) == sorted([DSL, DSL, GOVERNOR])
    assert STAFF in refused | tallied
    await bot.engine.dispose()
