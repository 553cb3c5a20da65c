"""Which school a button or a link is from, in a deployment that serves several (a trust).

Every school's part answers in its own words, with its own buttons and links; the channels are
the trust's, one of each. So each button a school sends carries its school in its value,
`@<key>|<value>`, and each link of the bot's own pages a `school=<key>` query: a click or a
download then reaches the school that asked, whichever school the person is talking to now
(an alert's Acknowledge pressed by a DSL of two schools is the alert's school's). A deployment
of one school tags nothing: its values and paths are as they always were.

The school's own part still checks everything a click says (its token, its role, its case):
the tag only chooses which school is asked, and a school asked about another's case finds
nothing, as its records are its own (storage.scope).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.delivery.messages import Attachment, Card, Link, Option, Outbound, Question, Summary

SCHOOL_QUERY: Final = "school"  # a link's query parameter naming its school
# The trust's lead's View of a school's case, `__trust_view:<key>:<case>`: the trust's own
# button (bot/trust_lead_desk.py), naming its school itself.
TRUST_VIEW: Final = "__trust_view:"
_TAGGED = re.compile(r"@([a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)\|(.*)", re.DOTALL)


def tag_value(key: str, value: str) -> str:
    return f"@{key}|{value}"


def untag_value(value: str) -> tuple[str, str] | None:
    """The school key and the value a school sent, or None for a value no school tagged (the
    type-ahead's choices, a button sent before the deployment served a trust)."""
    found = _TAGGED.fullmatch(value)
    return (found.group(1), found.group(2)) if found else None


def tag_path(key: str, path: str) -> str:
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != SCHOOL_QUERY]
    return urlunsplit(parts._replace(query=urlencode([*query, (SCHOOL_QUERY, key)])))


def tag_messages(key: str, messages: list[Outbound]) -> list[Outbound]:
    """`messages` as school `key` sent them, each button and link saying so."""
    return [_tag(key, message) for message in messages]


def _tag(key: str, message: Outbound) -> Outbound:
    if isinstance(message, Question):
        return replace(
            message,
            options=_options(key, message.options),
            actions=_options(key, message.actions),
        )
    if isinstance(message, Summary):
        return replace(message, options=_options(key, message.options))
    if isinstance(message, Card):
        return replace(
            message,
            actions=_options(key, message.actions),
            links=tuple(_link(key, link) for link in message.links),
            attachments=tuple(_attachment(key, a) for a in message.attachments),
        )
    return message  # a notice, or an answered question (its buttons are being taken away)


def _options(key: str, options: tuple[Option, ...]) -> tuple[Option, ...]:
    return tuple(replace(option, value=tag_value(key, option.value)) for option in options)


def _link(key: str, link: Link) -> Link:
    return replace(link, path=tag_path(key, link.path))


def _attachment(key: str, attachment: Attachment) -> Attachment:
    if attachment.source is not None:  # made afresh later (Teams' file consent): by this school
        attachment = replace(attachment, source=replace(attachment.source, school=key))
    if attachment.link is None:
        return attachment
    return replace(attachment, link=_link(key, attachment.link))
