"""A drill in the web chat, over its real websocket on loopback: the DSL types `drill`, each of
the team signed in gets the card marked DRILL pushed to their tab, the head's comes when nobody
acknowledges in time, and the head's Acknowledge is timed; a second press changes nothing."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from bot.cases.drills import drill_results
from bot.cases.scheduled import sweep_alerts
from tests.support.alerts import DEPUTIES, DSL, HEAD
from tests.support.reports import all_reports, event_kinds
from tests.web.chat import Socket, assert_friendly, items, notices, open_chat, serve, sign_in

MARK = "DRILL: no child involved"


def drill_card(frame: dict[str, Any]) -> dict[str, Any]:
    (card,) = [i for i in items(frame) if i["kind"] == "card" and MARK in i["title"]]
    return card


async def test_a_drill_goes_through_the_web_chat(make_bot, clock) -> None:
    bot = await make_bot()
    sent_at = clock.now
    async with contextlib.AsyncExitStack() as stack:
        tabs: dict[str, Socket] = {}
        for email in (DSL, *sorted(DEPUTIES), HEAD):
            client = await stack.enter_async_context(serve(bot))
            await sign_in(client, email)
            tabs[email], _hello, _first = await stack.enter_async_context(open_chat(client))

        reply = await tabs[DSL].text("drill")
        assert "on its way through the alert chain" in notices(reply)[0]["text"]
        (drill,) = await all_reports(bot)
        for email in (DSL, *DEPUTIES):
            pushed = await tabs[email].push()
            assert_friendly(pushed)
            card = drill_card(pushed)
            assert MARK in card["text"] and card["footer"] == MARK
            assert [a["value"] for a in card["actions"]] == [f"case:ack:{drill.id}"]

        clock.advance(minutes=10)
        await sweep_alerts(bot.jobs)
        head_card = drill_card(await tabs[HEAD].push())
        assert "reminder 1" in head_card["text"]

        clock.advance(minutes=1)
        reply = await tabs[HEAD].action(f"case:ack:{drill.id}", token=None)
        assert f"Drill {drill.reference} acknowledged" in notices(reply, "success")[0]["text"]
        reply = await tabs[HEAD].action(f"case:ack:{drill.id}", token=None)  # a double click
        assert "already acknowledged by Martin Fenwick" in notices(reply)[0]["text"]
        for email in (DSL, *DEPUTIES):  # the old card's button, pressed after the ack
            updated = drill_card(await tabs[email].push())
            assert updated["actions"] == [] and MARK in updated["title"]
        reply = await tabs[DSL].action(f"case:ack:{drill.id}", token=None)
        assert "already acknowledged" in notices(reply)[0]["text"]
        assert (await event_kinds(bot)).count("acknowledged") == 1

        reply = await tabs[DSL].text("drill results")
        shown = str(items(reply))
        assert "Acknowledged by Martin Fenwick 11 min after it was sent" in shown
        assert "Web chat: delivered 10:40:00" in shown

    async with bot.router.sessions() as session:
        (result,) = await drill_results(session, first=sent_at.date(), last=sent_at.date())
    head = next(p for p in result.people if p.email == HEAD)
    assert head.delivered == (("web", sent_at + timedelta(minutes=10)),)
    assert head.took == timedelta(minutes=1) and result.highest_level == 1
