"""Unfinished reports through the real web chat: the reminder reaches the tab the report was
started in, and the DSL's notice arrives, opens and shows the answers so far there."""

from __future__ import annotations

import json

from bot.chat.scheduled import purge_drafts, remind_drafts
from tests.support.walk import STAFF, walk
from tests.web.chat import WebTab, items, open_chat, serve, sign_in

DSL = "a.hartley@example.org"
PUPILS = "AB (Year 5) <b>was</b> sent a *fake* prize link"
SO_FAR = {
    "immediate_danger": "no",
    "category": "commerce",
    "commerce_kind": "scam",
    "about_adult": "no",
    "pupils": PUPILS,
}


async def test_the_reminder_and_the_dsls_notice_in_the_web_chat(make_bot, clock):
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client, STAFF)
        async with open_chat(client) as (tab, _hello, _first):
            frame = await tab.action("start:concern", token=None)
            await walk(WebTab(tab, frame), SO_FAR, until="what_happened")

            clock.advance(minutes=31)
            assert await remind_drafts(bot.jobs) == 1
            pushed = json.dumps(items(await tab.push()))
            assert "You have an unfinished online-safety concern report started at" in pushed
            assert "fake" not in pushed

    clock.advance(hours=73)
    await purge_drafts(bot.jobs)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (tab, _hello, first):
            frame = first
            notice = [i for i in items(frame) if "Unfinished report, not sent" in json.dumps(i)]
            while not notice:  # opening the chat delivers what waited for a tab
                frame = await tab.next()
                notice = [i for i in items(frame) if "Unfinished report" in json.dumps(i)]
            (card,) = notice
            assert "fake" not in json.dumps(card) and "Tom Brannigan" in json.dumps(card)
            (button,) = [a for a in card["actions"] if a["value"].startswith("draft:open:")]

            opened = await tab.action(button["value"], token=None)
    shown = json.dumps(items(opened))
    assert "Unfinished online-safety concern report (not sent)" in shown
    assert json.dumps(PUPILS)[1:-1] in shown  # the answer as given, as data (the page escapes)
