"""Driving the Microsoft 365 Agents Playground (npm @microsoft/m365agentsplayground, pinned in
tests/teams/playground/package-lock.json) from a test: one Playground process is one person.

What it is and how it is driven was read from the package itself (dist/index.js, 0.2.28):
- it reads `.m365agentsplayground.yml` from its working directory; `currentUser` is who you are
  (the key is spelt `userPrincipleName`), `users` needs at least 5 entries, and `personalChat`,
  `groupChat` and `team` are required (it exits right after "Listening" otherwise);
- `TEAMSAPPTESTER_BROWSER=none` and `--disable-telemetry` keep it headless and quiet;
  `--service-url` is the serviceUrl it puts in the activities it sends the bot, so a test can
  put a recording proxy between the bot and the Playground's Bot Connector (`/_connector`);
- its web UI's own endpoints: `POST /_debug/conversation/{id}/installation` installs the app
  (installationUpdate and conversationUpdate to the bot), `POST /_conversation/v1/
  conversations/{id}/messages` sends a message as the user (`from`, `text`, `textFormat`),
  `POST /_conversation/v1/submit` presses an Action.Submit (`conversation`, `from`,
  `replyToId`: the card's activity id, `value`: the action's data), `GET /_internal/v1/config`
  answers once the configuration is loaded.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

PLAYGROUND_DIR = Path(__file__).parent / "playground"
CLI = PLAYGROUND_DIR / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT_ID = "00000000-0000-4000-8000-00000000b07a"
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    email: str
    aad_object_id: str

    def yaml(self, indent: str) -> str:
        given, _, surname = self.name.partition(" ")
        fields = {
            "id": self.user_id,
            "name": self.name,
            "userPrincipleName": self.email,  # sic: the Playground's spelling
            "aadObjectId": self.aad_object_id,
            "givenName": given,
            "surname": surname,
            "email": self.email,
        }
        first, *rest = (f"{key}: {json.dumps(value)}" for key, value in fields.items())
        return "\n".join([first, *(indent + line for line in rest)])


def config_yaml(me: Person, others: list[Person], chat_id: str) -> str:
    users = "\n".join(f"  - {p.yaml('    ')}" for p in others)
    return f"""version: "0.1.1"
tenantId: {TENANT}
bot:
  id: {BOT_ID}
  name: Online Safety
currentUser:
  {me.yaml("  ")}
users:
{users}
personalChat:
  id: {json.dumps(chat_id)}
groupChat:
  id: group-chat-id
  name: Group Chat
team:
  id: team-id
  name: Staff
  aadGroupId: 00000000-0000-0000-0000-000000000031
  channels:
    - id: channel-announcements-id
      name: Announcements
"""


def missing() -> str | None:
    """Why the Playground cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs npm)"
    if not CLI.exists():
        return f"the Agents Playground is not installed ({CLI}); run `make playground`"
    return None


@dataclass
class Exchange:
    """One Bot Connector call the bot made, and what the Playground answered."""

    method: str
    path: str
    raw: bytes
    status: int
    answer: Any

    @property
    def body(self) -> Any:
        return json.loads(self.raw) if self.raw else None


@dataclass
class RecordingProxy:
    """Between the bot and one Playground's Bot Connector: forwards and records every call."""

    target: str
    exchanges: list[Exchange] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self.forward)
        return app

    async def forward(self, request: web.Request) -> web.Response:
        raw = await request.read()
        headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method, self.target + request.path_qs, data=raw, headers=headers
            ) as answer,
        ):
            body = await answer.read()
            status, content_type = answer.status, answer.content_type
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = body.decode(errors="replace")
        self.exchanges.append(Exchange(request.method, request.path, raw, status, parsed))
        return web.Response(body=body, status=status, content_type=content_type)


@dataclass
class Playground:
    """One running Playground: one person's Teams client."""

    me: Person
    chat_id: str
    port: int
    process: asyncio.subprocess.Process
    proxy: RecordingProxy
    output: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def install(self) -> None:
        await self._post(f"/_debug/conversation/{self.chat_id}/installation", {})

    async def say(self, text: str) -> None:
        body = {"from": {"id": self.me.user_id}, "text": text, "textFormat": "plain"}
        await self._post(f"/_conversation/v1/conversations/{self.chat_id}/messages", body)

    async def press(self, card_activity_id: str, data: dict[str, Any]) -> None:
        body = {
            "conversation": {"id": self.chat_id},
            "from": {"id": self.me.user_id},
            "replyToId": card_activity_id,
            "value": data,
        }
        await self._post("/_conversation/v1/submit", body)

    async def _post(self, path: str, body: dict[str, Any]) -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url + path, json=body) as answer,
        ):
            text = await answer.text()
        assert answer.status == 200, (path, answer.status, text[:300])

    def sent(self) -> list[Exchange]:
        """What the bot sent into this person's chat, with the Playground's answers."""
        prefix = f"/v3/conversations/{self.chat_id}/activities"
        return [e for e in self.proxy.exchanges if e.path.startswith(prefix)]

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self.reader is not None:
            await self.reader


def write_config(workdir: Path, text: str) -> None:
    """The Playground reads its configuration from its working directory."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / ".m365agentsplayground.yml").write_text(text)


async def start_playground(
    *,
    me: Person,
    others: list[Person],
    chat_id: str,
    port: int,
    workdir: Path,
    bot_endpoint: str,
    proxy: RecordingProxy,
    proxy_url: str,
) -> Playground:
    write_config(workdir, config_yaml(me, others, chat_id))
    env = {**os.environ, "TEAMSAPPTESTER_BROWSER": "none"}
    process = await asyncio.create_subprocess_exec(
        "node",
        str(CLI),
        "--app-endpoint",
        bot_endpoint,
        "--port",
        str(port),
        "--channel-id",
        "msteams",
        "--service-url",
        proxy_url,
        "--disable-telemetry",
        cwd=workdir,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    playground = Playground(me, chat_id, port, process, proxy)
    playground.reader = asyncio.create_task(_collect(playground))
    try:
        await _wait_until_ready(playground)
    except RuntimeError:
        await playground.stop()
        raise
    return playground


async def _collect(playground: Playground) -> None:
    stream = playground.process.stdout
    assert stream is not None
    async for line in stream:
        playground.output.append(line.decode(errors="replace").rstrip())


async def _wait_until_ready(playground: Playground) -> None:
    """Its configuration loaded (the config endpoint answers), or why it stopped."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while loop.time() < deadline:
            if playground.process.returncode is not None:
                break
            try:
                async with session.get(playground.url + "/_internal/v1/config") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    if playground.process.returncode is not None and playground.reader is not None:
        await playground.reader  # the rest of its output, for the message below
    raise RuntimeError(
        f"the Agents Playground on port {playground.port} did not start "
        f"(exit {playground.process.returncode}): {' | '.join(playground.output[-10:])}"
    )
