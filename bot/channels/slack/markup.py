"""Slack's message markup -> the text the person saw. Pure: the names come from the caller.

Slack sends a message's text with its markup, documented in "Formatting text for app surfaces"
(docs.slack.dev/messaging/formatting-message-text; formerly
api.slack.com/reference/surfaces/formatting): `&`, `<` and `>` typed by the person arrive as
`&amp;`, `&lt;`, `&gt;` ("Escaping text"), so a raw `<` only ever opens one of Slack's tokens:

- `<@U…>` / `<@W…>` (optionally `|name`): a mention of a person, shown as "@" + their name;
- `<!here>`, `<!channel>`, `<!everyone>`: shown as "@here", "@channel", "@everyone";
- `<!subteam^ID|@handle>`: a user group, shown as its handle;
- `<!date^…|fallback>` and any other `<!…|label>`: shown as the label;
- `<#C…|name>`: a channel, shown as "#name";
- `<mailto:address|label>`: shown as the address;
- `<url>` and `<url|label>`: a link, shown as the URL, or as the label with the URL after it
  in brackets (the label alone when it is the URL itself, as Slack sends an address typed without
  "https://", `<http://tiktok.com|tiktok.com>`: what was typed was "tiktok.com").

The tokens are read first and the three escapes undone after, in the text between them and in
the labels, so "&lt;@U1&gt;" typed by the person stays "<@U1>" in their words and is never taken
for a mention. URLs are kept as typed: every place that shows them defangs them
(dialogs/text.py).

A mention whose name the caller could not find (users.info failed, a deactivated account) is
shown with the name Slack sent in the token if any, else as "@" + the Slack id: the id still
says exactly whom the reporter named (the DSL can find them in Slack, and the allegation's
subjects can still be matched to it), where "@someone" would lose it from the record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TOKEN = re.compile(r"<([^<>]*)>")
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def unescape(text: str) -> str:
    """Undo Slack's escaping of message text: `&lt;`, `&gt;`, then `&amp;`, and nothing else, so
    `&amp;lt;` (the person typed "&lt;") stays "&lt;"."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mentioned(text: str) -> list[str]:
    """The Slack user ids the text mentions, each once, in order."""
    ids = []
    for match in _TOKEN.finditer(text):
        target = match[1].partition("|")[0]
        if target[:2] in {"@U", "@W"}:
            ids.append(target[1:])
    return list(dict.fromkeys(ids))


def as_seen(text: str, names: Mapping[str, str] | None = None) -> str:
    """`text` as Slack showed it to the person who sent it; `names`: Slack user id -> name."""
    names = names or {}
    shown: list[str] = []
    at = 0
    for match in _TOKEN.finditer(text):
        shown += [unescape(text[at : match.start()]), _token(match[1], names)]
        at = match.end()
    shown.append(unescape(text[at:]))
    return "".join(shown)


def _token(inside: str, names: Mapping[str, str]) -> str:
    target, _, label = inside.partition("|")
    label = unescape(label)
    if target.startswith("@"):
        user_id = target[1:]
        return "@" + (names.get(user_id) or label.lstrip("@") or user_id)
    if target.startswith("#"):
        return "#" + (label.lstrip("#") or target[1:])
    if target.startswith("!"):
        word = target[1:]
        if word in _SPECIAL:
            return _SPECIAL[word]
        if word.startswith("subteam^"):
            handle = label or word.partition("^")[2]
            return handle if handle.startswith("@") else "@" + handle
        return label or "@" + word
    url = unescape(target)
    if url.lower().startswith("mailto:"):
        return label or url[len("mailto:") :]
    if not label or _bare(label) == _bare(url):
        return label or url
    return f"{label} ({url})"


def _bare(url: str) -> str:
    """An address without its scheme or a closing slash, to tell a label that is the URL."""
    return re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip(), flags=re.IGNORECASE).rstrip("/")
