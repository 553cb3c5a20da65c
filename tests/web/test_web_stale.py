"""Old buttons in the web chat, over its websocket: a click whose token is not the current
question's changes nothing, says so and shows where the person is."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from bot.words import strings
from tests.support.reports import all_reports, only_report
from tests.support.walk import Answer, cyberbullying_concern, step_of_token, walk
from tests.web.chat import DSL, Socket, open_chat, serve, sign_in

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

CONCERN = cyberbullying_concern("Names called in the class group chat.", "today 09:00")


class Tab:
    """A tab that reads past pushes (alerts) to the reply to each frame it sends."""

    def __init__(self, socket: Socket) -> None:
        self.socket = socket
        self.asked: dict[str, Any] | None = None  # the newest question or summary shown

    async def send(self, frame: dict[str, Any]) -> dict[str, Any]:
        frame_id = uuid.uuid4().hex
        await self.socket.ws.send_str(json.dumps({"id": frame_id, **frame}))
        while True:
            reply = await self.socket.next()
            shown = [i for i in reply.get("items") or [] if i["kind"] in {"question", "summary"}]
            if shown:
                self.asked = shown[-1]
            if reply.get("reply_to") == frame_id:
                return reply

    async def click(self, value: str, token: str | bool | None = True) -> str:
        """Press a button of the newest question, as app.js does (its token goes with it), or
        of an older one whose token is given (None: a page from before tokens)."""
        chosen = (self.asked or {}).get("token") if token is True else token
        frame = {"type": "action", "value": value}
        return _text(await self.send(frame if chosen is None else {**frame, "token": chosen}))

    async def type(self, text: str) -> str:
        return _text(await self.send({"type": "text", "text": text}))

    @property
    def step(self) -> str | None:
        asked = self.asked or {}
        return asked.get("step_id") if asked.get("kind") == "question" else asked.get("kind")

    @property
    def token(self) -> str | None:
        return (self.asked or {}).get("token")

    async def walk_until(self, step: str, answers: dict[str, Any] = CONCERN) -> None:
        """Answer from `answers`, each to the question the page asks, until `step` is asked."""
        await walk(Walking(self), answers, until=step, in_order=False)


class Walking:
    """The walker's view of a Tab (tests/support/walk.py): the step is read from the click
    token of the newest question shown."""

    def __init__(self, tab: Tab) -> None:
        self.tab = tab

    async def asked(self) -> str | None:
        step = step_of_token(self.tab.token)
        assert step == self.tab.step, f"token {self.tab.token!r} at {self.tab.step!r}"
        return step

    async def answer(self, value: Answer) -> None:
        options = {o["value"] for o in (self.tab.asked or {}).get("options", [])}
        text = str(value)
        await (self.tab.click(text) if text in options else self.tab.type(text))


def _text(frame: dict[str, Any]) -> str:
    return json.dumps(frame.get("items") or [])


async def test_an_old_yes_at_about_adult_changes_nothing(make_bot: Any) -> None:
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (socket, _hello, _first):
            tab = Tab(socket)
            await tab.click("start:concern")
            assert tab.step == "immediate_danger"
            first = tab.token
            await tab.walk_until("about_adult")

            replies = await tab.click("yes", token=first)  # the first question's Yes
            assert strings.STALE_CLICK in replies
            assert tab.step == "about_adult"
            assert await all_reports(bot) == []  # nothing urgent opened, nobody alerted

            replies = await tab.click("yes", token=None)  # a page from before tokens
            assert strings.STALE_CLICK in replies and tab.step == "about_adult"
            await tab.click("no")
            assert tab.step == "pupils"


async def test_a_double_click_counts_once(make_bot: Any) -> None:
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (socket, _hello, _first):
            tab = Tab(socket)
            await tab.click("start:concern")
            first = tab.token
            await tab.click("no", token=first)
            assert tab.step == "category"
            replies = await tab.click("yes", token=first)  # a second frame, the same question
            assert strings.STALE_CLICK in replies
            assert tab.step == "category" and await all_reports(bot) == []


async def test_a_finished_reports_button_does_nothing_to_the_next(make_bot: Any) -> None:
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (socket, _hello, _first):
            tab = Tab(socket)
            await tab.click("start:concern")
            first = tab.token
            await tab.type("no")  # typed: the buttons of that question were never pressed
            await tab.walk_until("summary")
            send = tab.token
            await tab.click("__submit")
            assert len(await all_reports(bot)) == 1

            replies = await tab.click("__submit", token=send)  # Send again: nothing more
            assert "Already sent" in replies and len(await all_reports(bot)) == 1
            await tab.click("start:concern")
            replies = await tab.click("yes", token=first)
            assert strings.STALE_CLICK in replies
            assert tab.step == "immediate_danger"
            assert [r.urgent for r in await all_reports(bot)] == [False]


async def test_a_case_forms_and_the_self_audits_old_buttons_change_nothing(
    make_bot: Any,
) -> None:
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (socket, _hello, _first):
            staff = Tab(socket)
            await staff.click("start:concern")
            await staff.walk_until("summary")
            await staff.click("__submit")
    case = (await only_report(bot)).id

    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (socket, _hello, _first):
            dsl = Tab(socket)
            await dsl.click(f"case:action:{case}", token=None)  # a card's button: no token
            assert dsl.step == "action"
            form = dsl.token
            await dsl.click("police")
            assert dsl.step == "details"
            replies = await dsl.click("informed_parents", token=form)
            assert strings.STALE_CLICK in replies and dsl.step == "details"
            await dsl.type("Called 101, ref 12345.")
            await dsl.type("today 10:00")
            assert dsl.step == "summary"
            await dsl.click("__submit")

            await dsl.type("audit start")

    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (socket, _hello, _first):
            staff = Tab(socket)
            await staff.type("audit")  # their own self-audit
            assert staff.step == "knows_lead"
            first = staff.token
            await staff.click("yes")
            assert staff.step == "knows_lead_comment"
            replies = await staff.click("no", token=first)
            assert strings.STALE_CLICK in replies and staff.step == "knows_lead_comment"
