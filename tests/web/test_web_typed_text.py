"""Typed text in the web chat, over its real websocket: stored as typed (the web chat sends plain
text, nothing to undo), and shown everywhere with every address defanged and every direction
control visible: the reporter's summary, the DSL's case view, a note in the chronology, the
export. Never as a link: the page shows every text with textContent (render.js)."""

from __future__ import annotations

import json
from typing import Any

from bot.cases.export import chronology_record
from tests.alerts.test_export import serve
from tests.support.alerts import DSL
from tests.support.reports import only_report
from tests.support.walk import CONCERN_TAIL, STAFF, walk
from tests.web.chat import WebTab, items, open_chat

TYPED = "Sent from https://chat.example.org/room?id=7 by www.evil.example, file \u202egnp.exe"
SHOWN = (
    "Sent from hxxps://chat[.]example[.]org/room?id=7 by www[.]evil[.]example, file [U+202E]gnp.exe"
)
NOTE = "Rang the parent; see bit.ly/3xYz \u2067and\u2069 e.g. Mr. Smith's notes."
NOTE_SHOWN = "Rang the parent; see bit[.]ly/3xYz [U+2067]and[U+2069] e.g. Mr. Smith's notes."


def shown_in(frame: dict[str, Any]) -> str:
    return json.dumps(items(frame), ensure_ascii=False)


async def test_typed_addresses_and_direction_controls_are_shown_safely_everywhere(make_bot):
    bot = await make_bot()
    answers = {
        "immediate_danger": "no",
        "category": "commerce",
        "commerce_kind": "scam",
        **CONCERN_TAIL,
        "what_happened": TYPED,
    }
    async with serve(bot, STAFF) as client, open_chat(client) as (chat, _hello, _first):
        tab = WebTab(chat, await chat.action("start:concern"))
        await walk(tab, answers, in_order=False)
        summary = shown_in(tab.frame)
        assert SHOWN in summary and "https://chat" not in summary and "\u202e" not in summary
        await chat.action("__submit")
    report = await only_report(bot)
    stored = bot.cipher.open(report, "answers_enc")["answers"]["what_happened"]
    assert stored == TYPED  # the record keeps what was typed

    async with serve(bot, DSL) as client, open_chat(client) as (chat, _hello, _first):
        viewed = shown_in(await chat.action(f"case:view:{report.id}", token=None))
        assert SHOWN in viewed and "\u202e" not in viewed
        tab = WebTab(chat, await chat.action(f"case:note:{report.id}", token=None))
        await walk(tab, {"note": NOTE})
        await chat.action("__submit")
        viewed = shown_in(await chat.action(f"case:view:{report.id}", token=None))
        assert NOTE_SHOWN in viewed and "\u2067" not in viewed

    async with bot.router.sessions() as session:
        record = await chronology_record(
            session,
            desk=bot.router.desk,
            cards=bot.router.cases.cards,
            report=report,
            exported_by=DSL,
            now=bot.router.clock(),
        )
    assert tuple(line.details for line in record.lines if "Rang" in line.details) == (NOTE_SHOWN,)
    assert SHOWN in [answer for _question, answer in record.answers]
