"""The shape of a Teams activity, checked before the Agents SDK sees it.

The SDK turns a body that is not an Activity into a 500 and a traceback (a JSON array, `{}`,
`"type": 5`, `"attachments": "x"`), and a few shapes that its model accepts (`"from": null`, no
`serviceUrl`) fail later, inside the turn. So the handler answers 400 for any of these, with
the short reason `activity_problem` gives, which names a field but never quotes the activity.

What is checked is what the bot and the SDK rely on, as the Activity schema defines it (the
Activity Protocol, github.com/microsoft/Agents specs/activity/protocol-activity.md; the
botframework-schema package's IActivity): `type`, `channelId` and `serviceUrl` strings; `from`
and `recipient` ChannelAccount objects and `conversation` a ConversationAccount, each with a
string `id`; `text` a string; `attachments`, `entities`, `membersAdded` and `membersRemoved`
lists of objects. `value` and `channelData` may be any JSON. Then the SDK's own model must
accept it (its types for every other field: timestamps, non-empty strings...), so the SDK's
parse of the same body cannot fail. Text Teams cannot send (a lone surrogate, NUL) and nesting
deeper than any card are refused too: the database would refuse the first two mid-turn.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from microsoft_agents.activity import Activity
from pydantic import ValidationError

from bot.channels.untrusted import text_problem

_SDK_ACTIVITY_LOGGER = "microsoft_agents.activity.activity"
_ACCOUNTS = ("from", "recipient", "conversation")
_STRINGS = ("type", "channelId", "serviceUrl")
_LISTS = ("attachments", "entities", "membersAdded", "membersRemoved")


def activity_problem(body: object) -> str | None:
    """What is wrong with `body` as an activity, in a few words; None if nothing is."""
    if not isinstance(body, Mapping):
        return "the activity is not a JSON object"
    for key in _STRINGS:
        value = body.get(key)
        if not isinstance(value, str) or not value.strip():
            return f"the activity has no {key}"
    if not body["serviceUrl"].startswith(("https://", "http://")):
        return "the activity's serviceUrl is not a URL"
    for key in _ACCOUNTS:
        account = body.get(key)
        if not isinstance(account, Mapping) or not _non_empty(account.get("id")):
            return f"the activity's {key} is not an account with an id"
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        return "the activity's text is not a string"
    for key in _LISTS:
        items = body.get(key)
        if items is None:
            continue
        if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
            return f"the activity's {key} is not a list of objects"
    if problem := text_problem(body, what="the activity"):
        return problem
    return _model_problem(body)


class DropActivityValidationErrors(logging.Filter):
    """The SDK logs each Activity its model refuses at ERROR, with a traceback and the values it
    refused (what someone wrote); the refusal is ours to report, once and without content."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Validation error for Activity")


def quieten_sdk_validation() -> None:
    logger = logging.getLogger(_SDK_ACTIVITY_LOGGER)
    if not any(isinstance(f, DropActivityValidationErrors) for f in logger.filters):
        logger.addFilter(DropActivityValidationErrors())


def _non_empty(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _field_name(part: object) -> bool:
    return isinstance(part, str) and part.isidentifier() and len(part) <= 30


def _model_problem(body: Mapping[str, Any]) -> str | None:
    try:
        Activity.model_validate(body)
    except ValidationError as error:
        # The field's path: names and indices only, never a value (nor a key someone chose).
        loc = error.errors()[0].get("loc", ())
        where = ".".join(str(p) for p in loc if isinstance(p, int) or _field_name(p))[:60]
        return f"the activity's {where or 'shape'} is not valid"
    except Exception as error:  # the model's own checks raise plain exceptions too
        return f"the activity is not valid ({type(error).__name__})"
    return None
