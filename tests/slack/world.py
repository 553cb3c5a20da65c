"""A Slack workspace on loopback: a fake Web API that records every call, and a client that
sends the bot signed, real-shaped Events API and interactivity payloads."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.test_utils import TestClient

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T07QB6L2M1A"
BOT_USER = "U0BOT0000"


@dataclass
class Call:
    method: str
    args: dict[str, Any]


@dataclass
class Upload:
    """A file on its way in through Slack's external upload flow."""

    file_id: str
    filename: str
    length: int
    alt_txt: str | None
    data: bytes | None = None  # what was POSTed to the upload URL
    title: str | None = None  # from files.completeUploadExternal
    shared_in: str | None = None  # its channel_id, once completed


@dataclass
class PostFailure:
    """chat.postMessage answers HTTP `status` with Slack's error body for the next post whose
    text holds `containing`. `stored`: Slack kept the message all the same, which its docs allow
    for `internal_error` and `fatal_error` ("It's possible some aspect of the operation succeeded
    before the error was raised": docs.slack.dev/reference/methods/chat.postMessage, Errors)."""

    containing: str
    status: int = 500
    error: str = "internal_error"
    stored: bool = False
    channel: str | None = None  # only a post to this conversation


@dataclass
class SlowPost:
    """chat.postMessage keeps the next matching message at once but answers only `seconds`
    later: the network or Slack being slow, so the sender cannot tell whether it arrived."""

    containing: str
    seconds: float
    channel: str | None = None


@dataclass
class FakeSlackApi:
    """Answers the Web API methods the bot uses, as Slack documents them, and records them.

    Files come in as Slack's external upload flow has them (docs.slack.dev/reference/methods/
    files.getUploadURLExternal, .../files.completeUploadExternal): the first method answers an
    upload URL on this same server and a file id, the bytes are POSTed there (answered 200,
    "OK - <length>", text/plain, as files.slack.com does), and the second method shares the ids.

    A message keeps its `metadata` (docs.slack.dev/messaging/message-metadata: an `event_type`
    and an `event_payload`), and conversations.history reads a conversation back as
    docs.slack.dev/reference/methods/conversations.history has it: newest first, between
    `oldest` and `latest` (exclusive unless `inclusive`), `limit` a page, `has_more` and
    `response_metadata.next_cursor` for the next page, and each message's metadata only with
    `include_all_metadata`.
    """

    users: dict[str, tuple[str, str]]  # user id -> (email, real name)
    calls: list[Call] = field(default_factory=list)
    fail_next: dict[str, int] = field(default_factory=dict)  # method -> 429s to answer first
    refuse_next: dict[str, str] = field(default_factory=dict)  # method -> error, ok: false once
    # conversation -> (HTTP status, error): chat.postMessage and chat.update there are refused
    # until removed, as Slack answers (docs.slack.dev/reference/methods/chat.postMessage#errors)
    refuse_in: dict[str, tuple[int, str]] = field(default_factory=dict)
    refused: list[Call] = field(default_factory=list)
    upload_refusals: list[int] = field(default_factory=list)  # statuses for the next upload POSTs
    groups: dict[str, list[str]] = field(default_factory=dict)  # user group id -> user ids
    uploads: dict[str, Upload] = field(default_factory=dict)  # file id -> the upload
    post_failures: list[PostFailure] = field(default_factory=list)
    slow_posts: list[SlowPost] = field(default_factory=list)
    clock: Callable[[], float] = time.time  # Slack's clock, for the ts of what is posted
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel -> messages
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _files: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.handle)
        app.router.add_post("/upload/v1/{file_id}", self.receive_upload)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        if self.fail_next.get(method, 0) > 0:
            self.fail_next[method] -= 1
            body = {"ok": False, "error": "ratelimited"}
            return web.json_response(body, status=429, headers={"Retry-After": "1"})
        refusal = self.refuse_in.get(str(args.get("channel")))
        if method in ("chat.postMessage", "chat.update") and refusal is not None:
            self.refused.append(Call(method, args))
            status, error = refusal
            return web.json_response({"ok": False, "error": error}, status=status)
        if method in self.refuse_next:
            self.calls.append(Call(method, args))
            return web.json_response({"ok": False, "error": self.refuse_next.pop(method)})
        if method == "files.getUploadURLExternal":
            args["_origin"] = str(request.url.origin())
        failure = _first_match(self.post_failures, method, args)
        if failure is not None:
            if failure.stored:
                args["_ts"] = self.answer(method, args)["ts"]
            args["_failed"] = failure.status
            self.calls.append(Call(method, args))
            body = {"ok": False, "error": failure.error}
            return web.json_response(body, status=failure.status)
        answer = self.answer(method, args)
        if method == "chat.postMessage":
            args["_ts"] = answer["ts"]  # so a test can press buttons on this very message
        if method == "chat.update" and answer["ok"]:
            self._replace(args)
        self.calls.append(Call(method, args))
        slow = _first_match(self.slow_posts, method, args)
        if slow is not None:
            await asyncio.sleep(slow.seconds)  # kept already; the answer is what is late
        return web.json_response(answer)

    def _replace(self, args: dict[str, Any]) -> None:
        """chat.update replaces the text and blocks of the message `ts` in `channel`, as the
        user sees it from then on (docs.slack.dev/reference/methods/chat.update: "channel",
        "ts", "text", "blocks"); `posts_to` shows messages as they are now."""
        for call in self.calls:
            posted = call.args
            if call.method != "chat.postMessage" or posted.get("_ts") != args.get("ts"):
                continue
            if posted.get("channel") == args.get("channel"):
                posted["blocks"] = blocks_of(args)
                posted["text"] = args.get("text", posted.get("text"))

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "B0BOT", "team_id": TEAM}
        if method == "users.info":
            if args.get("user") not in self.users:  # as Slack answers for an unknown id
                return {"ok": False, "error": "user_not_found"}
            email, name = self.users[args["user"]]
            profile = {"email": email, "real_name": name, "display_name": name}
            return {"ok": True, "user": {"id": args["user"], "profile": profile}}
        if method == "users.lookupByEmail":
            found = [uid for uid, (email, _) in self.users.items() if email == args["email"]]
            if not found:
                return {"ok": False, "error": "users_not_found"}
            return {"ok": True, "user": {"id": found[0]}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args["users"])}}
        if method == "chat.postMessage":
            ts = f"{int(self.clock())}.{next(self._ts):06d}"
            for index, block in enumerate(blocks_of(args)):  # as Slack does for blocks with none
                block.setdefault("block_id", f"b{ts}-{index}")
            self._keep(args, ts)
            return {"ok": True, "channel": args["channel"], "ts": ts, "message": args}
        if method == "conversations.history":
            return self._history(args)
        if method == "users.list":  # paginated as Slack does: cursor in response_metadata
            return self._users_page(int(args.get("cursor") or 0), int(args.get("limit") or 200))
        if method == "usergroups.users.list":
            members = self.groups.get(str(args["usergroup"]))
            if members is None:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": list(members)}
        if method == "chat.update":
            known = any(
                c.method == "chat.postMessage"
                and c.args.get("_ts") == args.get("ts")
                and c.args.get("channel") == args.get("channel")
                for c in self.calls
            )
            if not known:  # as Slack answers for a ts it does not know in that channel
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "views.publish":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "files.getUploadURLExternal":
            return self._upload_url(args)
        if method == "files.completeUploadExternal":
            return self._complete_upload(args)
        return {"ok": False, "error": "unknown_method"}

    def _keep(self, args: dict[str, Any], ts: str) -> None:
        message = {"type": "message", "user": BOT_USER, "bot_id": "B0BOT", "ts": ts}
        message |= {key: args[key] for key in ("text", "blocks") if key in args}
        metadata = args.get("metadata")
        if isinstance(metadata, str):  # a form-encoded call sends it as JSON text
            metadata = json.loads(metadata)
        if metadata:
            message["metadata"] = metadata
        self.history.setdefault(str(args["channel"]), []).append(message)

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        if "channel" not in args:
            return {"ok": False, "error": "invalid_arguments"}
        inclusive = str(args.get("inclusive")).lower() in {"1", "true"}
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or 9e9)
        limit, start = int(args.get("limit") or 100), int(args.get("cursor") or 0)

        def within(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        found = [m for m in self.history.get(str(args["channel"]), []) if within(float(m["ts"]))]
        found.sort(key=lambda m: float(m["ts"]), reverse=True)
        page = found[start : start + limit]
        if str(args.get("include_all_metadata")).lower() not in {"1", "true"}:
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(found)
        cursor = str(start + limit) if more else ""
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            length = int(args["length"])
            filename = str(args["filename"])
        except (KeyError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        if len(args.get("alt_txt") or "") > 1000:
            return {"ok": False, "error": "alt_txt_too_large"}
        file_id = f"F{next(self._files):010d}"
        self.uploads[file_id] = Upload(file_id, filename, length, args.get("alt_txt"))
        upload_url = f"{args['_origin']}/upload/v1/{file_id}"
        return {"ok": True, "upload_url": upload_url, "file_id": file_id}

    async def receive_upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="not found", content_type="text/plain")
        data = await request.read()
        if self.upload_refusals:
            status = self.upload_refusals.pop(0)
            return web.Response(status=status, text="upload failed", content_type="text/plain")
        upload.data = data
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        listed = json.loads(files) if isinstance(files, str) else files
        if not listed:
            return {"ok": False, "error": "invalid_arguments"}
        done = []
        for item in listed:
            upload = self.uploads.get(item.get("id"))
            if upload is None or upload.data is None or len(upload.data) != upload.length:
                return {"ok": False, "error": "invalid_arguments"}  # never (fully) uploaded
            upload.title = item.get("title")
            upload.shared_in = args.get("channel_id")
            done.append({"id": upload.file_id, "title": upload.title or upload.filename})
        return {"ok": True, "files": done}

    def _users_page(self, start: int, limit: int) -> dict[str, Any]:
        people = [
            {
                "id": uid,
                "deleted": False,
                "is_bot": False,
                "is_restricted": False,
                "is_ultra_restricted": False,
                "profile": {"email": email, "real_name": name, "display_name": name},
            }
            for uid, (email, name) in self.users.items()
        ]
        people += [  # who the audit must never ask: Slackbot, a bot, a leaver, guests
            {"id": "USLACKBOT", "is_bot": False, "profile": {"real_name": "Slackbot"}},
            {"id": "UBOT1", "is_bot": True, "profile": {"email": "bot@example.org"}},
            {"id": "ULEFT", "deleted": True, "profile": {"email": "left@example.org"}},
            {"id": "UGST1", "is_restricted": True, "profile": {"email": "guest1@example.org"}},
            {"id": "UGST2", "is_ultra_restricted": True, "profile": {"email": "g2@example.org"}},
        ]
        page = people[start : start + limit]
        more = start + limit < len(people)
        cursor = str(start + limit) if more else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def files_in(self, channel: str) -> list[Upload]:
        """Files shared in a conversation, in the order their uploads were completed."""
        return [u for u in self.uploads.values() if u.shared_in == channel]

    def posts_to(self, user_id: str) -> list[dict[str, Any]]:
        """Messages posted in the DM with this user, with the ts Slack gave them."""
        posted = []
        for call in self.calls:
            if call.method != "chat.postMessage" or call.args["channel"] != "D" + user_id:
                continue
            if "_ts" in call.args:  # a refused or failed post never reached the conversation
                posted.append(call.args)
        return posted


def _first_match(waiting: list[Any], method: str, args: dict[str, Any]) -> Any:
    """Take the first PostFailure or SlowPost that applies to this call off its list."""
    if method != "chat.postMessage":
        return None
    for item in waiting:
        if item.containing in text_of(args) and item.channel in {None, args.get("channel")}:
            waiting.remove(item)
            return item
    return None


def blocks_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = message.get("blocks") or []
    if isinstance(blocks, str):
        message["blocks"] = blocks = json.loads(blocks)
    return list(blocks)


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(blocks_of(message)) + str(message.get("text", ""))


@dataclass
class SlackWorld:
    """Sends the bot what Slack would send, signed, and waits for its answers."""

    api: FakeSlackApi
    client: TestClient
    bot: Any
    secret: str = SIGNING_SECRET
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def post(self, body: str, content_type: str, **headers: str) -> web.Response:
        return await self.post_bytes(body.encode(), content_type, **headers)

    async def post_bytes(self, body: bytes, content_type: str, **headers: str) -> web.Response:
        """`body` as Slack sends it, signed with the signing secret, unless `signature` (or
        `timestamp`, which is signed) says otherwise."""
        timestamp = headers.pop("timestamp", str(int(time.time())))
        base = f"v0:{timestamp}:".encode() + body
        signature = "v0=" + hmac.new(self.secret.encode(), base, hashlib.sha256).hexdigest()
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": headers.pop("signature", signature),
            **headers,
        }
        data = io.BytesIO(body) if len(body) > 1_000_000 else body  # aiohttp: no large bytes
        return await self.client.post("/slack/events", data=data, headers=sent)

    async def dm(self, user: str, text: str, *, event_id: str | None = None, **headers: str):
        n = next(self._ids)
        envelope = {
            "type": "event_callback",
            "team_id": TEAM,
            "api_app_id": "A0APP",
            "event_id": event_id or f"Ev{n:08d}",
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": "D" + user,
                "user": user,
                "text": text,
                "ts": f"{int(time.time())}.{n:06d}",
            },
        }
        return await self.post(json.dumps(envelope), "application/json", **headers)

    async def click(self, user: str, value: str, *, message: dict[str, Any] | None = None):
        """Press the button with this value on the newest message that has one."""
        message = message or self.newest_with(user, value)
        block, element = _find_button(message, value)
        payload = self._action_payload(user, message, block, element, state={})
        return await self._interact(payload)

    async def tick(self, user: str, *values: str):
        message = self.newest_with(user, "multi_done")
        block, element = _find_button(message, "multi_done", by="action_id")
        state: dict[str, Any] = {}
        for b in blocks_of(message):
            for el in b.get("elements", []):
                if el.get("type") == "checkboxes":
                    chosen = [o for o in el["options"] if o["value"] in values]
                    state.setdefault(b["block_id"], {})[el["action_id"]] = {
                        "type": "checkboxes",
                        "selected_options": chosen,
                    }
        payload = self._action_payload(user, message, block, element, state=state)
        return await self._interact(payload)

    async def command(self, user: str, text: str):
        form = {
            "command": "/online-safety",
            "text": text,
            "user_id": user,
            "team_id": TEAM,
            "channel_id": "C0GENERAL",
            "trigger_id": "1.2.3",
            "response_url": "https://hooks.slack.com/commands/x",
        }
        return await self.post(urlencode(form), "application/x-www-form-urlencoded")

    def newest_with(self, user: str, value: str) -> dict[str, Any]:
        for message in reversed(self.api.posts_to(user)):
            if value in json.dumps(blocks_of(message)):
                return message
        raise AssertionError(f"no message to {user} offers {value!r}")

    async def until(self, what: str, check: Callable[[], Any], within: float = 20.0) -> Any:
        """Wait for something the bot does (an event, not a quiet spell); its truthy result."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}")

    async def settle(self, within: float = 60.0) -> None:
        """Wait until every turn Slack's requests started has finished, and the outbox rows they
        queued have been tried: an event to wait for, not a quiet spell (which a loaded machine
        can outlast). Turns run after the ack, so the HTTP answer alone does not say they ran."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        # With the bot in other processes (the multi-process test), wait for what they do.
        assert self.bot is not None, "settle counts the turns of a bot in this process"
        while self.bot.slack.in_flight or any(p.dispatcher.busy for p in self.bot.parts.values()):
            if loop.time() > deadline:
                raise AssertionError(f"the bot was still busy after {within:.0f} s")
            await asyncio.sleep(0.005)

    def _action_payload(self, user, message, block, element, *, state):
        ts = message["_ts"]
        current = next((m for m in self.api.posts_to(user) if m.get("_ts") == ts), message)
        return {
            "type": "block_actions",
            "user": {"id": user, "team_id": TEAM},
            "team": {"id": TEAM},
            "api_app_id": "A0APP",
            "container": {"type": "message", "message_ts": ts, "channel_id": message["channel"]},
            "channel": {"id": message["channel"], "name": "directmessage"},
            # "The message where this block action took place"
            # (docs.slack.dev/reference/interaction-payloads/block_actions-payload): as Slack
            # holds it now, after any chat.update, even when the click comes from a client
            # still showing an older copy (`message`, whose button is pressed).
            "message": {
                "type": "message",
                "ts": ts,
                "text": current.get("text", ""),
                "blocks": blocks_of(current),
            },
            "state": {"values": state},
            "trigger_id": "1.2.3",
            "response_url": "https://hooks.slack.com/actions/x",
            "actions": [
                {
                    "type": "button",
                    "action_id": element["action_id"],
                    "block_id": block.get("block_id", ""),
                    "value": element.get("value", ""),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }

    async def _interact(self, payload: dict[str, Any]):
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")


def _find_button(message: dict[str, Any], wanted: str, *, by: str = "value"):
    for block in blocks_of(message):
        candidates = list(block.get("elements", []))
        if block.get("accessory"):
            candidates.append(block["accessory"])
        for element in candidates:
            if element.get("type") == "button" and element.get(by) == wanted:
                return block, element
    raise AssertionError(f"no button with {by}={wanted!r}")
