"""The bot against the real Microsoft 365 Agents Playground, an implementation of Teams' Bot
Connector that the project did not write: two Playgrounds, one the staff member who reports,
one the DSL, both pointed at the same bot (Teams on, anonymous requests allowed on loopback, as
docs/teams.md describes), each behind a recording proxy (`--service-url`).

The staff member files a whole concern, step by step; the DSL gets the proactive alert (which
the Playground accepts: no `"id": null`), acknowledges it on the card, and the card is updated
in place; the staff member is told it was seen. Where the Playground cannot run this test
skips, or fails with REQUIRE_TEAMS_PLAYGROUND=1 (as CI sets it). The fault cases stay with the
project's fake connector (test_refusals.py), which can refuse on command.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.channels.teams.parse import CLICK_KEY, submitted_value
from bot.channels.teams.render import card_values
from storage.models import Outbox
from tests.conftest import EXAMPLE_CONFIG
from tests.support.clock import FakeClock
from tests.support.net import free_port
from tests.support.steps import current_step
from tests.support.walk import Answer, cyberbullying_concern, step_of_token, walk
from tests.teams.connector import text_of
from tests.teams.filing import REFERENCE
from tests.teams.playground_client import (
    Exchange,
    Person,
    Playground,
    RecordingProxy,
    missing,
    start_playground,
)

REQUIRED = os.environ.get("REQUIRE_TEAMS_PLAYGROUND") == "1"
# The school file's people (config/school.example.yaml), as Teams users of the Playground.
PEOPLE = [
    Person(f"user-id-{key}", name, email, f"00000000-0000-0000-0000-0000000000a{n}")
    for n, (key, name, email) in enumerate(
        [
            ("staff", "Tom Brannigan", "t.brannigan@example.org"),
            ("dsl", "Alice Hartley", "a.hartley@example.org"),
            ("dep1", "Daniel Osei", "d.osei@example.org"),
            ("dep2", "Petra Lindqvist", "p.lindqvist@example.org"),
            ("head", "Martin Fenwick", "m.fenwick@example.org"),
            ("visitor", "A Visitor", "visitor@example.org"),
        ]
    )
]
STAFF, DSL = PEOPLE[0], PEOPLE[1]
WAIT = 30.0


def unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"REQUIRE_TEAMS_PLAYGROUND=1 but {reason}")
    pytest.skip(f"the Agents Playground cannot run here: {reason}")


@dataclass
class Turns:
    """Counts the bot's finished /api/messages requests: a turn's replies are all sent by then."""

    done: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        finally:
            if request.method == "POST" and request.path == "/api/messages":
                self.done += 1
                self.changed.set()

    async def after(self, before: int, count: int = 1) -> None:
        async with asyncio.timeout(WAIT):
            while self.done < before + count:
                self.changed.clear()
                await self.changed.wait()


@dataclass
class PlaygroundWorld:
    bot: Any
    turns: Turns
    staff: Playground
    dsl: Playground

    async def act(self, action: Awaitable[None], turns: int = 1) -> None:
        before = self.turns.done
        await action
        await self.turns.after(before, turns)


@pytest.fixture
async def playgrounds(sqlite_url: str, tmp_path: Path) -> AsyncIterator[PlaygroundWorld]:
    if (why := missing()) is not None:
        unavailable(why)
    from bot.app import build_bot, prepare_storage
    from bot.server import create_app
    from bot.settings import Settings

    bot = build_bot(
        Settings(
            data_dir=tmp_path / "data",
            database_url=sqlite_url,
            school_config=EXAMPLE_CONFIG,
            teams_allow_anonymous=True,  # as docs/teams.md says for the Playground
        ),
        clock=FakeClock(),
    )
    await prepare_storage(bot)
    turns = Turns()
    app = create_app(bot, run_scheduler=False)
    app.middlewares.append(turns.middleware)
    servers = [TestServer(app, host="127.0.0.1")]
    started: list[Playground] = []
    try:
        await servers[0].start_server()
        endpoint = str(servers[0].make_url("/api/messages"))
        for me in (STAFF, DSL):
            port = free_port()
            proxy = RecordingProxy(f"http://127.0.0.1:{port}/_connector")
            servers.append(TestServer(proxy.app(), host="127.0.0.1"))
            await servers[-1].start_server()
            try:
                started.append(
                    await start_playground(
                        me=me,
                        others=[p for p in PEOPLE if p != me],
                        chat_id=f"a:1{me.user_id}-personal-chat",
                        port=port,
                        workdir=tmp_path / me.user_id,
                        bot_endpoint=endpoint,
                        proxy=proxy,
                        proxy_url=str(servers[-1].make_url("")).rstrip("/"),
                    )
                )
            except (RuntimeError, OSError) as error:
                unavailable(str(error))
        yield PlaygroundWorld(bot, turns, started[0], started[1])
    finally:
        for playground in started:
            await playground.stop()
        for server in reversed(servers):
            await server.close()
        await bot.engine.dispose()


def newest_card(playground: Playground) -> Exchange | None:
    """The bot's newest message in this chat, if it is a card (a question's buttons)."""
    posted = [e for e in playground.sent() if e.method == "POST" and e.body]
    if posted and posted[-1].body.get("attachments"):
        return posted[-1]
    return None


def button(exchange: Exchange, value: str) -> dict[str, Any] | None:
    for data in card_values(exchange.body.get("attachments") or []):
        if submitted_value(data) == value:
            return dict(data)
    return None


async def answer(world: PlaygroundWorld, playground: Playground, value: str) -> None:
    """Press the button of the newest card that offers `value`, or type it."""
    card = newest_card(playground)
    data = button(card, value) if card is not None else None
    if card is not None and data is not None:
        await world.act(playground.press(card.answer["id"], data))
    else:
        await world.act(playground.say(value))


def cards_now(playground: Playground) -> list[tuple[str, dict[str, Any]]]:
    """The bot's cards in this chat as the Playground holds them now, oldest first: each
    posted activity (by the id the Playground gave it) with its latest replacement (an answered
    question's card loses its buttons)."""
    order: list[str] = []
    latest: dict[str, dict[str, Any]] = {}
    for exchange in playground.sent():
        body = exchange.body
        if not body or not 200 <= exchange.status < 300:
            continue
        if exchange.method == "POST" and isinstance(exchange.answer, dict):
            activity_id = str(exchange.answer.get("id"))
            order.append(activity_id)
        elif exchange.method == "PUT":
            activity_id = exchange.path.rstrip("/").rpartition("/")[2]
        else:
            continue
        latest[activity_id] = body
    return [(activity_id, latest[activity_id]) for activity_id in order]


@dataclass
class PlaygroundChat:
    """The walker's view of one person's chat in the Playground (tests/support/walk.py): the
    step asked is read from the click token in the newest question card's buttons, as the
    Playground's own Bot Connector accepted the card."""

    world: PlaygroundWorld
    playground: Playground

    async def asked(self) -> str | None:
        for _, body in reversed(cards_now(self.playground)):
            tokens = [
                str(data[CLICK_KEY])
                for data in card_values(body.get("attachments") or [])
                if data.get(CLICK_KEY)
            ]
            if tokens:
                return step_of_token(tokens[-1])
        return None

    async def answer(self, value: Answer) -> None:
        assert isinstance(value, str), "tick boxes are not needed here"
        await answer(self.world, self.playground, value)


async def row(world: PlaygroundWorld, kind: str, person: Person) -> Outbox:
    """The outbox row once it is recorded sent."""
    async with asyncio.timeout(WAIT):
        while True:
            async with world.bot.router.sessions() as session:
                found = await session.scalar(
                    select(Outbox).where(
                        Outbox.kind == kind, Outbox.recipient_email == person.email
                    )
                )
            if found is not None and found.status == "sent":
                return found
            await asyncio.sleep(0.05)


async def test_a_concern_filed_in_one_playground_alerts_the_dsl_in_another(playgrounds):
    world = playgrounds
    for playground in (world.staff, world.dsl):  # installationUpdate and conversationUpdate
        await world.act(playground.install(), turns=2)

    await world.act(world.staff.say("report"))
    answers = cyberbullying_concern("Name-calling in the class group chat.", "today 09:00")
    # Each answer to the question the Playground shows, checked against the stored step.
    await walk(
        PlaygroundChat(world, world.staff),
        answers,
        stored=lambda: current_step(world.bot, "teams", STAFF.email),
    )
    await answer(world, world.staff, "__submit")
    # The confirmation is a proactive message through the outbox (kind "receipt").
    await row(world, "receipt", STAFF)
    replies = " ".join(text_of(e.body) for e in world.staff.sent() if e.body)
    found = REFERENCE.search(replies)
    assert found, replies[:500]
    reference = found.group()
    # Every reply went through the Playground's own Bot Connector, which accepted it.
    assert all(200 <= e.status < 300 for e in world.staff.sent()), [
        (e.method, e.status, e.answer) for e in world.staff.sent() if e.status >= 300
    ]

    alert_row = await row(world, "alert", DSL)
    (alert,) = [e for e in world.dsl.sent() if e.body and reference in text_of(e.body)]
    assert (alert.method, alert.status) == ("POST", 201), alert.answer
    assert "id" not in alert.body and b"null" not in alert.raw
    assert alert_row.platform_ref == alert.answer["id"]

    ack = button(alert, f"case:ack:{alert_row.report_id}")
    assert ack is not None
    await world.act(world.dsl.press(alert.answer["id"], ack))
    await row(world, "update", DSL)
    updates = [e for e in world.dsl.sent() if e.method == "PUT"]
    assert updates, [(e.method, e.path, e.status) for e in world.dsl.sent()]
    for update in updates:  # the same card, replaced in place, and accepted
        assert update.path.endswith(f"/activities/{alert.answer['id']}")
        assert 200 <= update.status < 300, update.answer
    assert "Acknowledged by Alice Hartley" in text_of(updates[-1].body)

    await row(world, "seen", STAFF)
    seen = [e for e in world.staff.sent() if e.body and "seen by the DSL" in text_of(e.body)]
    assert len(seen) == 1 and seen[0].status == 201, [(e.status, e.answer) for e in seen]
