"""A DSL case form in the web chat speaks of itself: "cancel" in Record action asks whether to
stop recording the action, and a saved note says so, over the real websocket."""

from __future__ import annotations

import pytest

from tests.support.alerts import DSL, file_concern
from tests.support.reports import only_report
from tests.support.walk import walk
from tests.web.chat import WebTab, asked, notices, open_chat, serve, sign_in

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


async def test_cancel_in_record_action_and_a_saved_note_in_the_web_chat(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    report = await only_report(bot)
    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (chat, _hello, _first):
            tab = WebTab(chat, await chat.action(f"case:action:{report.id}", token=None))
            await walk(tab, {"action": "police"}, until="details")

            frame = await chat.text("cancel")
            question = asked(frame)
            assert question["step_id"] is None  # the cancel question
            assert question["text"] == (
                "Stop recording this action? Nothing has been saved to the case."
            )
            frame = await chat.text("yes")
            texts = [n["text"] for n in notices(frame)]
            assert texts[0] == (
                "Stopped. The action was not recorded, and nothing has been saved to the case."
            )

            tab = WebTab(chat, await chat.action(f"case:note:{report.id}", token=None))
            await walk(tab, {"note": "Spoke to the class teacher."})
            frame = await chat.action("__submit")
            assert [n["text"] for n in notices(frame, "success")] == [
                f"Note saved to case {report.reference}."
            ]
