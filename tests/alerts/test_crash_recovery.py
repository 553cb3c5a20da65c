"""A crash between a report's commit and its alert's delivery loses nothing and sends nothing twice.

The real bot runs as a subprocess (`python -m bot`) on SQLite and on PostgreSQL; it is killed with
SIGKILL (no clean-up, no shutdown hooks) and started again on the same data folder and database.
People use the real web chat: a demo sign-in, then the websocket. An alert on the web chat is
delivered when the person has the chat open; until then its outbox row stays pending.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.settings import PROJECT_ROOT, Settings
from storage.models import Outbox, Report
from storage.scope import trust_sessions
from tests.support.net import free_port
from tests.support.walk import CONCERN_TAIL, STAFF, Answer

DSL = "a.hartley@example.org"
DEPUTIES = ("d.osei@example.org", "p.lindqvist@example.org")
TEAM = (DSL, *DEPUTIES)
EXAMPLE_CONFIG = PROJECT_ROOT / "config" / "school.example.yaml"
REFERENCE = re.compile(r"\b[A-Z]{2}-\d{4}-\d{5,}\b")
WAIT_S = 15.0  # the most any single wait may take: a frame, a database state
# A start, waited for while the process runs (it fails at once if the bot exits): a loaded
# machine can take far longer than a frame to start Python and the bot.
START_WAIT_S = 120.0
CONCERN: dict[str, Answer] = {
    "immediate_danger": "no",
    "category": "commerce",
    "commerce_kind": "scam",
    **CONCERN_TAIL,
}


# --------------------------------------------------------------------------- the database


@dataclass(frozen=True)
class Storage:
    """Where both processes keep their data: the env they get, and a URL the test reads with."""

    data_dir: Path
    env_url: str  # DATABASE_URL as the subprocess gets it ("" means SQLite at DATA_DIR/bot.db)
    url: str  # the same database, for the test's own engine


@pytest.fixture
def storage(database_url: str, tmp_path: Path) -> Storage:
    data_dir = tmp_path / "data"
    if database_url.startswith("sqlite"):  # the default a school gets: DATABASE_URL unset
        return Storage(data_dir, "", f"sqlite+aiosqlite:///{(data_dir / 'bot.db').as_posix()}")
    return Storage(data_dir, database_url, database_url)


async def outbox_rows(storage: Storage, reference: str, kind: str = "alert") -> list[Outbox]:
    """The outbox rows of one report (its alerts unless told), on a connection of the test's."""
    engine = create_async_engine(storage.url)
    try:
        async with trust_sessions(engine)() as session:  # the test's look at every school
            report_id = await session.scalar(select(Report.id).where(Report.reference == reference))
            assert report_id is not None, f"no report {reference} in the database"
            query = (
                select(Outbox)
                .where(Outbox.report_id == report_id, Outbox.kind == kind)
                .order_by(Outbox.id)
            )
            return list(await session.scalars(query))
    finally:
        await engine.dispose()


async def duplicate_keys(storage: Storage) -> list[tuple[Any, ...]]:
    """(report, recipient, channel, kind, level) keys held by more than one outbox row."""
    key = (Outbox.report_id, Outbox.recipient_email, Outbox.channel, Outbox.kind, Outbox.level)
    engine = create_async_engine(storage.url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                select(*key).group_by(*key).having(func.count(Outbox.id) > 1)
            )
            return [tuple(row) for row in result]
    finally:
        await engine.dispose()


async def wait_for_status(storage: Storage, reference: str, email: str, status: str) -> Outbox:
    """Poll until this person's web alert row has the status (the push precedes the record)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        rows = await outbox_rows(storage, reference)
        row = _alert_row(rows, email)
        if row.status == status:
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"{email}'s alert row is {row.status!r}, not {status!r}")
        await asyncio.sleep(0.1)


def _alert_row(rows: list[Outbox], email: str) -> Outbox:
    (row,) = [r for r in rows if r.recipient_email == email and r.kind == "alert"]
    return row


def assert_one_row_per_key(rows: list[Outbox]) -> None:
    keys = [(r.recipient_email, r.channel, r.kind, r.level) for r in rows]
    assert len(keys) == len(set(keys)), f"duplicate outbox rows: {sorted(keys)}"
    assert sorted(keys) == sorted((email, "web", "alert", 0) for email in TEAM), keys


# --------------------------------------------------------------------------- the process


class BotProcess:
    """`python -m bot` on a loopback port, its output in a log file for the failure messages."""

    def __init__(self, storage: Storage, log: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        # Nothing of the caller's environment may choose another database, key or school.
        env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
        env.update(
            DATA_DIR=str(storage.data_dir),
            DATABASE_URL=storage.env_url,
            SCHOOL_CONFIG=str(EXAMPLE_CONFIG),
            LOG_LEVEL="INFO",
            PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")])),
        )
        with log.open("ab") as out:  # the child keeps its own descriptor
            out.write(f"--- starting on port {self.port}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "--port", str(self.port)],
                env=env,
                cwd=log.parent,  # not the project: a developer's .env there must not apply
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + START_WAIT_S
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"the bot exited ({self.process.returncode}):\n{self}")
                with suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(f"{self.base_url}/readyz") as response:
                        if response.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"the bot was not ready within {START_WAIT_S:g} s:\n{self}"
                    )
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no shutdown hook, no flush, no goodbye to the database."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=WAIT_S)

    def __str__(self) -> str:
        return self.output()


@contextmanager
def bot_process(storage: Storage, log: Path) -> Iterator[BotProcess]:
    process = BotProcess(storage, log)
    try:
        yield process
    finally:
        process.kill()


# --------------------------------------------------------------------------- the web chat


class Tab:
    """One signed-in person's open tab: frames are kept in the order they arrived."""

    def __init__(self, email: str, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.email = email
        self.ws = ws
        self.frames: list[dict[str, Any]] = []

    async def next(self, deadline: float) -> dict[str, Any]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{self.email}: waited {WAIT_S:g} s for a frame")
        try:
            message = await self.ws.receive(timeout=left)
        except TimeoutError:
            raise AssertionError(f"{self.email}: no frame within {WAIT_S:g} s") from None
        assert message.type == aiohttp.WSMsgType.TEXT, f"{self.email}: got {message!r}"
        frame: dict[str, Any] = json.loads(message.data)
        assert frame.get("type") != "error", f"{self.email}: server error {frame}"
        self.frames.append(frame)
        return frame

    async def send(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send a frame; return its reply. Pushes that come first are kept in `frames`."""
        frame_id = uuid.uuid4().hex
        await self.ws.send_str(json.dumps({"type": kind, "id": frame_id, **fields}))
        deadline = time.monotonic() + WAIT_S
        while True:
            frame = await self.next(deadline)
            if frame.get("reply_to") == frame_id:
                return frame

    async def settle(self) -> None:
        """A round trip: everything the server did for this tab before it (such as delivering
        what waited when the tab opened) has been received once the reply is back."""
        await self.send("action", value="help")

    async def wait_for_card(self, reference: str) -> None:
        deadline = time.monotonic() + WAIT_S
        while not self.alert_cards(reference):
            await self.next(deadline)

    def alert_cards(self, reference: str) -> list[dict[str, Any]]:
        """Alert cards about this report that arrived as pushes (not as a reply to a frame)."""
        return [
            item
            for frame in self.frames
            if frame.get("type") == "messages" and frame.get("reply_to") is None
            for item in frame.get("items", [])
            if item.get("kind") == "card" and reference in (item.get("title") or "")
        ]


@asynccontextmanager
async def signed_in(bot: BotProcess, email: str) -> AsyncIterator[aiohttp.ClientSession]:
    # unsafe=True: aiohttp's jar otherwise ignores cookies set by a bare IP address.
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=WAIT_S)
    ) as http:
        async with http.post(f"{bot.base_url}/api/web/login", json={"email": email}) as response:
            assert response.status == 200, await response.text()
        yield http


@asynccontextmanager
async def open_tab(http: aiohttp.ClientSession, bot: BotProcess, email: str) -> AsyncIterator[Tab]:
    """Open the chat: `hello`, then the menu (the reply to opening it)."""
    async with http.ws_connect(f"{bot.base_url}/api/web/ws", heartbeat=None) as ws:
        tab = Tab(email, ws)
        deadline = time.monotonic() + WAIT_S
        hello = await tab.next(deadline)
        assert hello["type"] == "hello", hello
        opening = await tab.next(deadline)
        assert _asked(opening) == "menu", opening
        yield tab


def _asked(frame: dict[str, Any]) -> dict[str, Any] | str | None:
    for item in reversed(frame.get("items") or []):
        if item.get("kind") == "summary":
            return "summary"
        if item.get("kind") == "question":
            return "menu" if item.get("input") == "menu" else item
    return None


async def report_concern(bot: BotProcess) -> str:
    """A member of staff files a concern over the websocket; returns its reference number."""
    async with signed_in(bot, STAFF) as http, open_tab(http, bot, STAFF) as tab:
        reply = await tab.send("action", value="start:concern")
        for _ in range(40):
            asked = _asked(reply)
            if asked == "summary":
                break
            assert isinstance(asked, dict), f"not in the flow: {reply}"
            step = asked["step_id"]
            assert step in CONCERN, f"unexpected question {step!r}"
            answer = CONCERN[step]
            token = asked["token"]  # each click names the question it answers
            if isinstance(answer, tuple):
                reply = await tab.send("multi", values=list(answer), token=token)
            elif any(option["value"] == answer for option in asked["options"]):
                reply = await tab.send("action", value=answer, token=token)
            else:
                reply = await tab.send("text", text=answer)
        else:
            raise AssertionError("no summary after 40 answers")
        (summary,) = [item for item in reply["items"] if item["kind"] == "summary"]
        done = await tab.send("action", value="__submit", token=summary["token"])
        assert done["items"] == [], done  # the confirmation comes through the outbox
        deadline = time.monotonic() + WAIT_S
        while not (found := _pushed_references(tab)):
            await tab.next(deadline)
        await tab.settle()
        assert len(_pushed_references(tab)) == 1, tab.frames  # once
    return found[0]


def _pushed_references(tab: Tab) -> list[str]:
    """The references in the notices pushed to this tab (not replies to its frames)."""
    texts = [
        item.get("text") or ""
        for frame in tab.frames
        if frame.get("type") == "messages" and frame.get("reply_to") is None
        for item in frame.get("items", [])
        if item.get("kind") == "notice"
    ]
    return [m.group(0) for text in texts for m in [REFERENCE.search(text)] if m]


# --------------------------------------------------------------------------- the tests


async def test_an_alert_committed_before_a_crash_is_delivered_once_after_restart(
    storage: Storage, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    with bot_process(storage, log) as first:
        await first.wait_ready()
        # Nobody of the safeguarding team has the chat open: the alert is committed and waits.
        reference = await report_concern(first)
        rows = await outbox_rows(storage, reference)
        assert_one_row_per_key(rows)
        statuses = {r.recipient_email: r.status for r in rows}
        assert statuses == dict.fromkeys(TEAM, "pending"), statuses
        first.kill()
        assert first.process.returncode == -signal.SIGKILL

    with bot_process(storage, log) as second:
        await second.wait_ready()
        # Whatever its start-up sweep has done by now, there was nobody to show the alert to.
        statuses = {r.recipient_email: r.status for r in await outbox_rows(storage, reference)}
        assert statuses == dict.fromkeys(TEAM, "pending"), statuses

        async with signed_in(second, DSL) as http, open_tab(http, second, DSL) as tab:
            await tab.settle()  # opening the chat delivers what waited, before this reply
            await tab.wait_for_card(reference)
            await tab.settle()
            assert len(tab.alert_cards(reference)) == 1, tab.frames
            card = tab.alert_cards(reference)[0]
            assert card["title"].startswith("Online-safety concern"), card
            row = _alert_row(await outbox_rows(storage, reference), DSL)
            assert row.status == "sent" and row.sent_at is not None, row.status

            for deputy in DEPUTIES:  # the deputies open the chat later, one at a time
                async with (
                    signed_in(second, deputy) as other,
                    open_tab(other, second, deputy) as deputy_tab,
                ):
                    await deputy_tab.settle()
                    await deputy_tab.wait_for_card(reference)
                    await deputy_tab.settle()
                    assert len(deputy_tab.alert_cards(reference)) == 1, deputy_tab.frames

            # A second tab, later: nothing is pushed again, to it or to the first tab.
            async with open_tab(http, second, DSL) as again:
                await again.settle()
                assert again.alert_cards(reference) == [], again.frames
            await tab.settle()
            assert len(tab.alert_cards(reference)) == 1, tab.frames

    rows = await outbox_rows(storage, reference)
    assert_one_row_per_key(rows)
    assert {r.recipient_email: r.status for r in rows} == dict.fromkeys(TEAM, "sent")
    assert await duplicate_keys(storage) == []


async def test_an_alert_delivered_before_a_crash_is_not_sent_again(
    storage: Storage, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    with bot_process(storage, log) as first:
        await first.wait_ready()
        async with signed_in(first, DSL) as http, open_tab(http, first, DSL) as tab:
            reference = await report_concern(first)
            await tab.wait_for_card(reference)  # live, while the DSL has the chat open
            # The push reaches the tab just before the row is marked: wait for the mark. Every
            # push for the row was written before it, so before the reply to the next frame.
            sent = await wait_for_status(storage, reference, DSL, "sent")
            await tab.settle()
            assert len(tab.alert_cards(reference)) == 1, tab.frames
            first.kill()
        assert first.process.returncode == -signal.SIGKILL

    with bot_process(storage, log) as second:
        await second.wait_ready()
        async with signed_in(second, DSL) as http, open_tab(http, second, DSL) as tab:
            await tab.settle()  # whatever waited for the DSL would have come before this reply
            assert tab.alert_cards(reference) == [], tab.frames
            await tab.settle()
            assert tab.alert_cards(reference) == [], tab.frames

    rows = await outbox_rows(storage, reference)
    assert_one_row_per_key(rows)
    row = _alert_row(rows, DSL)
    assert (row.status, row.attempts, row.sent_at) == ("sent", sent.attempts, sent.sent_at)
    assert {r.status for r in rows if r.recipient_email != DSL} == {"pending"}  # never opened
    assert await duplicate_keys(storage) == []
