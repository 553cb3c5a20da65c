"""The multi-process scenario, for tests/test_multiprocess.py and bench/duplicates.py: two web
processes and two schedulers on one PostgreSQL database and one fake Slack. A concern is filed
through both web processes in turn; the alerts escalate; the leading scheduler is killed with
SIGKILL right after the headteacher's alert reaches Slack (the moment a process may die between
Slack taking a message and the outbox recording it); the other takes over.

`run_scenario` returns what Slack received, counted against the outbox: every outbox message
carries its row id in Slack's message metadata, so a duplicate is a row id seen twice, and a
loss is an alert due before the end that never reached Slack or whose record is not that message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.settings import PROJECT_ROOT
from storage.crypto import Cipher
from storage.models import Conversation, Event, Outbox, Report
from tests.conftest import EXAMPLE_CONFIG
from tests.slack.conftest import DEPUTY_1, DEPUTY_2, DSL, HEAD, PEOPLE, STAFF
from tests.slack.filing import newest_question
from tests.slack.world import SIGNING_SECRET, FakeSlackApi, SlackWorld, blocks_of, text_of
from tests.support.net import free_port
from tests.support.walk import Answer, cyberbullying_concern, step_of_token, walk

LEADER_RETRY_SECONDS = 2.0
# Fast escalation so the scenario sees three levels in seconds: the DSL and deputies at once,
# the headteacher after 6 s, then everyone reminded every 9 s.
HEAD_AFTER_MINUTES, REPEAT_MINUTES = 0.1, 0.15
# A short lease, so a row left in flight by the killed scheduler is taken over within the run
# (a send then gets at most 2 s: a loaded machine times out now and then, which is the point).
LEASE_SECONDS = 6.0
FIRST_TEAM = {DSL, DEPUTY_1, DEPUTY_2}
EVERYONE = FIRST_TEAM | {HEAD}
CHECKED_LEVELS = (0, 1, 2)  # due before the end: each must reach Slack exactly once
USER_OF_DM = {"D" + user: user for user in PEOPLE}


@dataclass
class Process:
    name: str
    role: str
    port: int
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, env: dict[str, str]) -> None:
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--role", self.role, "--port", str(self.port)],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@dataclass
class RoundRobin:
    """Stands in for SlackWorld's test client: each request goes to the next web process, as
    a load balancer without sticky sessions would send it."""

    processes: list[Process]
    session: aiohttp.ClientSession
    served: dict[str, int] = field(default_factory=dict)
    _next: Iterator[Process] = field(init=False)

    def __post_init__(self) -> None:
        self._next = itertools.cycle(self.processes)

    async def post(self, path: str, *, data: str, headers: dict[str, str]) -> Any:
        process = next(self._next)
        self.served[process.name] = self.served.get(process.name, 0) + 1
        async with self.session.post(process.url + path, data=data, headers=headers) as response:
            await response.read()
            return response


@dataclass
class Outcome:
    """What one run saw."""

    reference: str
    duplicates: int  # extra messages for an outbox row already in Slack
    losses: int  # alerts due before the end that Slack never had, or recorded wrongly
    took_over: float  # seconds from SIGKILL to the other scheduler leading
    served: dict[str, int]
    problems: list[str]  # what went wrong, person by person
    escalation_levels: list[int]
    levels_by_person: dict[str, set[int]]
    receipts: int  # confirmations the reporter was shown
    looks: int  # DM histories read before a resend (attempts whose outcome was unknown)


@asynccontextmanager
async def fake_slack() -> AsyncIterator[tuple[FakeSlackApi, str]]:
    api = FakeSlackApi(users=dict(PEOPLE))
    server = TestServer(api.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield api, str(server.make_url("/api/"))
    finally:
        await server.close()


@asynccontextmanager
async def started(folder: Path, database_url: str, slack_url: str) -> AsyncIterator[list[Process]]:
    """Two web processes and two schedulers, started together; stopped (SIGTERM) at the end."""
    config = folder / "school.yaml"
    example = EXAMPLE_CONFIG.read_text()
    for head, repeat in (("10", "15"), ("3", "5")):  # the normal plan, then the urgent one
        example = example.replace(
            f"{{after_minutes: {head}, roles: [headteacher]}}",
            f"{{after_minutes: {HEAD_AFTER_MINUTES}, roles: [headteacher]}}",
        ).replace(f"repeat_every_minutes: {repeat}", f"repeat_every_minutes: {REPEAT_MINUTES}")
    config.write_text(example)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(folder / "data"),
        "SCHOOL_CONFIG": str(config),
        "ENCRYPTION_KEY": KEY,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_url,
        "WEB_CHAT_ENABLED": "false",
        "LEADER_RETRY_SECONDS": str(LEADER_RETRY_SECONDS),
        "ALERT_SWEEP_SECONDS": "1",
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }
    processes = [
        Process(name, role, free_port(), folder / f"{name}.log")
        for name, role in [
            ("web-1", "web"),
            ("web-2", "web"),
            ("scheduler-1", "scheduler"),
            ("scheduler-2", "scheduler"),
        ]
    ]
    for process in processes:  # all at once: their migrations race, as replicas' would
        process.start(env)
    try:
        yield processes
    finally:
        stop(processes)


def stop(processes: list[Process]) -> None:
    for process in processes:
        if process.alive():
            assert process.popen is not None
            process.popen.send_signal(signal.SIGTERM)
    for process in processes:
        if process.popen is not None:
            try:
                process.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.popen.kill()


# One key for every process of a run, and for the test, which reads the reporter's stored step.
KEY = Fernet.generate_key().decode()


async def _stored_step(database_url: str, user: str) -> str | None:
    """The step the reporter's conversation is at, as the bots stored it ("summary" there)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            stored = (
                await connection.execute(
                    select(Conversation.id, Conversation.state_enc).where(
                        Conversation.channel == "slack",
                        Conversation.user_email == PEOPLE[user][0],
                    )
                )
            ).one_or_none()
    finally:
        await engine.dispose()
    if stored is None or stored.state_enc is None:
        return None
    place = {"table": "conversations", "row": stored.id, "column": "state_enc"}
    dialog = Cipher([KEY.encode()]).decrypt_json(stored.state_enc, **place).get("dialog")
    return None if not dialog else (dialog.get("step") or "summary")


def _answers_to(api: FakeSlackApi, user: str) -> int:
    """How many messages the bot has posted or updated in this person's DM."""
    wanted = {"chat.postMessage", "chat.update"}
    return sum(
        1
        for c in api.calls
        if c.method in wanted and c.args.get("channel") == "D" + user and "_failed" not in c.args
    )


async def _until(what: str, check: Any, within: float, processes: list[Process]) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.1)
    logs = "\n".join(f"--- {p.name}\n{p.output()}" for p in processes)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


async def _step(
    world: SlackWorld,
    user: str,
    value: str,
    processes: list[Process],
    *,
    message: dict[str, Any] | None = None,
) -> None:
    """Answer as a person would: press the button with this value if the question `message`
    (else the newest message) offers it, otherwise type it; then wait for the bot's answer (from
    whichever process it was), however long a loaded machine takes."""
    before = _answers_to(world.api, user)
    if message is None:
        posts = world.api.posts_to(user)
        message = posts[-1] if posts else None
    if message is not None and f'"value": "{value}"' in json.dumps(blocks_of(message)):
        response = await world.click(user, value, message=message)
    else:
        response = await world.dm(user, value)
    assert response.status == 200

    async def answered() -> bool:
        return _answers_to(world.api, user) > before

    await _until(f"the answer to {value!r}", answered, 30, processes)


@dataclass
class Reporter:
    """The walker's view (tests/support/walk.py) of the reporter's DM, each request to the next
    web process: the step asked is read from the newest question's block_id, and is the step
    the conversation was stored at before it is answered (the turn that asked it is over)."""

    world: SlackWorld
    user: str
    processes: list[Process]
    database_url: str

    async def asked(self) -> str | None:
        found = newest_question(self.world, self.user)
        step = None if found is None else step_of_token(found[1])

        async def stored_there() -> bool:
            return await _stored_step(self.database_url, self.user) == step

        await _until(f"the conversation stored at {step!r}", stored_there, 30, self.processes)
        return step

    async def answer(self, value: Answer) -> None:
        found = newest_question(self.world, self.user)
        assert found is not None and isinstance(value, str), (found, value)
        await _step(self.world, self.user, value, self.processes, message=found[0])


async def _leader_flag(session: aiohttp.ClientSession, process: Process) -> float | None:
    try:
        async with session.get(process.url + "/metrics") as response:
            text = await response.text()
    except aiohttp.ClientError:
        return None
    for family in text_string_to_metric_families(text):
        if family.name == "osbot_scheduler_leader":
            return family.samples[0].value
    return None


async def run_scenario(api: FakeSlackApi, processes: list[Process], database_url: str) -> Outcome:
    """File, escalate, kill the leader, and count what Slack received against the outbox."""
    webs = [p for p in processes if p.role == "web"]
    schedulers = [p for p in processes if p.role == "scheduler"]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:

        async def all_ready() -> bool:
            for process in processes:
                assert process.alive(), f"{process.name} exited:\n{process.output()}"
                try:
                    async with http.get(process.url + "/readyz") as response:
                        if response.status != 200:
                            return False
                except aiohttp.ClientError:
                    return False
            return True

        await _until("every process to be ready", all_ready, 90, processes)

        async def one_leader() -> list[Process]:
            flags = [await _leader_flag(http, p) for p in schedulers]
            return [p for p, flag in zip(schedulers, flags, strict=True) if flag == 1]

        leaders = await _until("a scheduler to lead", one_leader, 30, processes)
        assert len(leaders) == 1, [p.name for p in leaders]
        for web in webs:  # web processes never run the jobs
            assert await _leader_flag(http, web) is None

        # The reporter's conversation, each request to the other web process in turn.
        balancer = RoundRobin(webs, http)
        world = SlackWorld(api=api, client=cast(TestClient, balancer), bot=None)
        answers = cyberbullying_concern("Messages were posted about a pupil overnight.", "now")
        await _step(world, STAFF, "report", processes)  # "now": the bots' real clock
        reporter = Reporter(world, STAFF, processes, database_url)
        await walk(reporter, answers)  # each answer to its own question, in order
        await _step(world, STAFF, "__submit", processes)

        async def confirmed() -> str | None:
            return _reference(api)

        reference = await _until("the confirmation", confirmed, 30, processes)

        def alerts_to(user: str) -> list[dict[str, Any]]:
            return [m for m in api.posts_to(user) if reference in text_of(m)]

        async def first_team_alerted() -> bool:
            return all(len(alerts_to(user)) >= 1 for user in FIRST_TEAM)

        async def head_alerted() -> bool:
            return len(alerts_to(HEAD)) >= 1

        await _until("the DSL and deputies' alerts", first_team_alerted, 15, processes)
        await _until("the headteacher's escalation", head_alerted, 30, processes)

        # Kill the leader outright: no shutdown, its connection just drops, perhaps between
        # Slack taking the headteacher's alert and the outbox recording it.
        leader = leaders[0]
        assert leader.popen is not None
        leader.popen.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        leader.popen.wait(timeout=10)
        other = next(p for p in schedulers if p is not leader)

        async def other_leads() -> bool:
            return await _leader_flag(http, other) == 1

        await _until("the other scheduler to take over", other_leads, 30, processes)
        took_over = time.monotonic() - killed_at

        async def everyone_reminded() -> bool:
            return all(len(alerts_to(user)) >= 2 for user in EVERYONE)

        await _until("the repeat reminder after the take-over", everyone_reminded, 40, processes)

        async def checked_levels_recorded() -> bool:  # a row the killed one left: leased out
            rows = await _alert_rows(database_url, reference)
            checked = [r for r in rows if r.level in CHECKED_LEVELS]
            return bool(checked) and all(r.status == "sent" for r in checked)

        await _until("every due alert to be recorded", checked_levels_recorded, 45, processes)
        stop(processes)
    return await _count(api, database_url, reference, took_over, balancer.served)


def _reference(api: FakeSlackApi) -> str | None:
    import re

    for message in api.posts_to(STAFF):
        found = re.search(r"\bOS-\d{4}-\d{5,}\b", text_of(message))
        if found and "Your reference is" in text_of(message):
            return found.group()
    return None


async def _alert_rows(database_url: str, reference: str) -> list[Outbox]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            report_id = await connection.scalar(
                select(Report.id).where(Report.reference == reference)
            )
            result = await connection.execute(
                select(Outbox).where(Outbox.report_id == report_id, Outbox.kind == "alert")
            )
            return [cast(Outbox, row) for row in result.all()]
    finally:
        await engine.dispose()


async def _count(
    api: FakeSlackApi, database_url: str, reference: str, took_over: float, served: dict[str, int]
) -> Outcome:
    rows = await _alert_rows(database_url, reference)
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            report_id = await connection.scalar(
                select(Report.id).where(Report.reference == reference)
            )
            details = await connection.scalars(
                select(Event.detail).where(Event.report_id == report_id, Event.kind == "escalated")
            )
            levels = [detail["level"] for detail in details]
    finally:
        await engine.dispose()
    # Every message the bot posted in a DM, by the outbox row its metadata names.
    by_row: dict[int, list[str]] = {}
    untagged = 0
    for call in api.called("chat.postMessage"):
        if "_ts" not in call.args or call.args["channel"] not in USER_OF_DM:
            continue
        payload = (call.args.get("metadata") or {}).get("event_payload") or {}
        if "row" in payload and payload.get("part", 0) == 0:
            by_row.setdefault(int(payload["row"]), []).append(
                f"{call.args['channel']}:{call.args['_ts']}"
            )
        elif reference in text_of(call.args) and "metadata" not in call.args:
            untagged += 1  # an alert that did not say which row it was: cannot be counted
    duplicates = sum(len(found) - 1 for found in by_row.values())
    problems = [
        f"row {row}: {len(found)} messages" for row, found in by_row.items() if len(found) > 1
    ]
    losses = 0
    levels_by_person: dict[str, set[int]] = {}
    for row in rows:
        levels_by_person.setdefault(row.recipient_email, set()).add(row.level)
        if row.level not in CHECKED_LEVELS:
            continue
        found = by_row.get(row.id, [])
        if row.status != "sent" or not found or row.platform_ref not in found:
            losses += 1
            problems.append(f"row {row.id} ({row.recipient_email}, {row.level}): {row.status}")
    if untagged:
        problems.append(f"{untagged} alert message(s) without their outbox row")
    receipts = sum(
        1
        for m in api.posts_to(STAFF)
        if "Your reference is" in text_of(m) and reference in text_of(m)
    )
    return Outcome(
        reference=reference,
        duplicates=duplicates + untagged,
        losses=losses,
        took_over=took_over,
        served=served,
        problems=problems,
        escalation_levels=levels,
        levels_by_person=levels_by_person,
        receipts=receipts,
        looks=len(api.called("conversations.history")),
    )


def duplicate_levels(levels: list[int]) -> list[int]:
    return [level for level, n in Counter(levels).items() if n > 1]
