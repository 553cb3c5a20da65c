"""Requests to /slack/events, checked before slack-bolt sees them.

Bolt answers 500, with a traceback in the log, for a body that is not JSON, a `payload=` form
field that is not a JSON object, a signature timestamp that is not a number, and for many
payloads of the wrong shape (`actions` a string, `event` null, an `action_id` that is a list):
its request parsing, context building and listener matchers index into the payload as Slack
sends it. So here, in order:

1. the signature, as "Verifying requests from Slack" describes it
   (api.slack.com/authentication/verifying-requests-from-slack): `X-Slack-Request-Timestamp`
   a number of seconds within five minutes of now, `X-Slack-Signature` the HMAC-SHA256 of
   `v0:<timestamp>:<body>` with the signing secret. Anything else is 401 and is not parsed;
2. the body: UTF-8 (that page: "a UTF-8 encoded message body"), parsed as bolt parses it
   (JSON, or a form whose `payload` field is JSON), to a JSON object: else 400;
3. the fields bolt and our listeners read, each of the type Slack sends: else 400.

What passes may still be a payload the bot does not act on (a block_suggestion without
`value`, an unknown shortcut): bolt acknowledges it and the listeners ignore it, as Slack
expects (docs.slack.dev/interactivity/handling-user-interaction: acknowledge within 3 s).
Every reason is a few words that never quote the request, so the handler can log it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from bot.channels.untrusted import text_problem

MAX_SKEW_SECONDS = 5 * 60
# Objects in Slack's payloads that bolt reads as "a string id, or an object with an id".
_ID_OR_OBJECT = ("user", "team", "enterprise", "channel")
_OBJECTS = ("view", "message", "container", "state", "event", "previous_message")
_LISTS_OF_OBJECTS = ("authorizations", "response_urls")
_STRINGS = (
    "type",
    "callback_id",
    "action_id",
    "block_id",
    "team_id",
    "user_id",
    "enterprise_id",
    "channel_id",
    "trigger_id",
)
_EVENT_STRINGS = ("type", "subtype", "channel", "channel_type", "text", "bot_id", "tab", "ts")


class Rejected(Exception):
    """A request refused before bolt: its HTTP status and a short reason (safe to log)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def verify_signature(
    body: bytes, *, timestamp: str | None, signature: str | None, secret: str, now: float
) -> None:
    """Raise Rejected(401) unless Slack signed `body` within the last five minutes."""
    if not timestamp or not signature:
        raise Rejected(401, "unsigned")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise Rejected(401, "the signature timestamp is not a number")
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        raise Rejected(401, "the signature timestamp is stale")
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Rejected(401, "the signature does not match")


def parse_body(body: bytes, content_type: str | None) -> tuple[str, Mapping[str, Any]]:
    """The body as text and as the payload bolt will read from it; raises Rejected(400)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "the body is not UTF-8") from None
    payload = _as_bolt_parses(text, content_type)
    if not isinstance(payload, Mapping):
        raise Rejected(400, "the payload is not a JSON object")
    if problem := payload_problem(payload):
        raise Rejected(400, problem)
    return text, payload


def payload_problem(payload: Mapping[str, Any]) -> str | None:
    """What in `payload` is not of the type Slack sends, in a few words; None if nothing."""
    if problem := _ids_problem(payload, ""):
        return problem
    for key in ("event", "message", "previous_message"):  # bolt looks for ids in these too
        nested = payload.get(key)
        if isinstance(nested, Mapping) and (problem := _ids_problem(nested, f"{key} ")):
            return problem
    for key in _OBJECTS:
        if not _opt(payload.get(key), Mapping):
            return f"{key} is not an object"
    for key in _LISTS_OF_OBJECTS:
        if not _opt_list_of_objects(payload.get(key)):
            return f"{key} is not a list of objects"
    for authorization in payload.get("authorizations") or ():
        if problem := _ids_problem(authorization, "authorization "):
            return problem
    kind = payload.get("type")
    if kind == "block_actions" and not _actions_ok(payload.get("actions")):
        return "actions is not a list of actions"
    if kind == "event_callback" and (problem := _event_problem(payload.get("event"))):
        return problem
    if kind == "url_verification" and not isinstance(payload.get("challenge"), str):
        return "url_verification without a challenge"
    view = payload.get("view")
    if isinstance(view, Mapping):
        for key in ("id", "callback_id", "team_id", "app_installed_team_id"):
            if not _opt(view.get(key), str):
                return f"view {key} is not a string"
    return text_problem(payload, what="the payload")


def _as_bolt_parses(text: str, content_type: str | None) -> object:
    """slack_bolt.request.internals.parse_body, without its exceptions."""
    if not text:
        return {}
    media_type = (content_type or "").split(";")[0].strip()
    try:
        if media_type == "application/json" or text.startswith("{"):
            return json.loads(text)
        if "payload" not in text:
            return dict(parse_qsl(text, keep_blank_values=True))
        payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
        return {} if payload is None else json.loads(payload)
    except (ValueError, RecursionError):
        raise Rejected(400, "the body is not JSON") from None


def _ids_problem(parent: Mapping[str, Any], where: str) -> str | None:
    for key in _STRINGS:
        if not _opt(parent.get(key), str):
            return f"{where}{key} is not a string"
    for key in _ID_OR_OBJECT:
        value = parent.get(key)
        if not _opt(value, (str, Mapping)):
            return f"{where}{key} is neither an id nor an object"
        if isinstance(value, Mapping) and not _opt(value.get("id"), str):
            return f"{where}{key} id is not a string"
    return None


def _actions_ok(actions: object) -> bool:
    if not isinstance(actions, list) or not actions:
        return False
    for action in actions:
        if not isinstance(action, Mapping) or not isinstance(action.get("action_id"), str):
            return False
        for key in ("type", "block_id", "value", "action_ts"):
            if not _opt(action.get(key), str):
                return False
    return True


def _event_problem(event: object) -> str | None:
    if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
        return "event is not an event"
    for key in _EVENT_STRINGS:
        if not _opt(event.get(key), str):
            return f"event {key} is not a string"
    if not _opt(event.get("user"), (str, Mapping)):  # user_change and the like send objects
        return "event user is neither an id nor an object"
    if not _opt(event.get("files"), list):
        return "event files is not a list"
    for key in ("message", "previous_message", "item"):
        if not _opt(event.get(key), Mapping):
            return f"event {key} is not an object"
    return None


def _opt(value: object, kind: type | tuple[type, ...]) -> bool:
    return value is None or isinstance(value, kind)


def _opt_list_of_objects(value: object) -> bool:
    return value is None or (
        isinstance(value, list) and all(isinstance(item, Mapping) for item in value)
    )
