"""Teams message text -> the plain text the person saw. Pure.

Teams sends what a person typed in a message activity's `text` with a little HTML: a mention as
`<at>Name</at>` (with a `mention` entity naming whom; learn.microsoft.com/en-us/microsoftteams/
platform/bots/how-to/conversations/channel-and-group-conversations, "Work with mentions"), and
formatted text, links and emoji as HTML elements with the characters `&`, `<`, `>`, quotes and
non-breaking spaces as entities (`&amp;`, `&lt;`, `&#39;`, `&nbsp;`), as Teams keeps a message's
body as HTML (learn.microsoft.com/en-us/graph/api/resources/chatmessage, `body` "html", and
resources/chatmessagemention: "encloses the mentionText of each mention in an HTML at
element"). What is stored is what was seen:

- `<at>Name</at>` -> "Name" (Teams shows the name, highlighted, without an "@");
- `<a href="url">label</a>` -> "label (url)", or the URL alone when that is the label;
- `<emoji alt="😄" …></emoji>` -> the emoji itself;
- a line break, or the end of a paragraph, a list item or a heading -> a new line;
- every other element of Teams' formatting (`<p>`, `<b>`, `<span …>`, …) -> its text;
- then the entities undone, `&nbsp;` as an ordinary space.

Only Teams' own element names are taken for markup, and the entities are undone last, so a "<"
typed in a sentence ("a < b", sent as `a &lt; b`) stays as typed. URLs are kept as typed: every
place that shows them defangs them (dialogs/text.py).
"""

from __future__ import annotations

import html
import re

_ATTRIBUTES = r"(?:\s[^<>]*)?"
_ANCHOR = re.compile(
    r"<a\s[^<>]*?\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)')[^<>]*>(.*?)</a\s*>",
    re.IGNORECASE | re.DOTALL,
)
_EMOJI = re.compile(
    rf"<emoji{_ATTRIBUTES}\balt\s*=\s*(?:\"([^\"]*)\"|'([^']*)'){_ATTRIBUTES}>(?:\s*</emoji\s*>)?",
    re.IGNORECASE,
)
_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6]|blockquote|pre|tr)\s*>", re.IGNORECASE)
_ELEMENT = re.compile(
    rf"</?(?:at|a|p|div|span|b|strong|i|em|u|s|strike|del|ins|code|pre|blockquote|ul|ol|li"
    rf"|h[1-6]|table|thead|tbody|tr|td|th|hr|font|sub|sup|emoji|img|br|readonly|attachment)"
    rf"{_ATTRIBUTES}/?>",
    re.IGNORECASE,
)
_BLANK_LINES = re.compile(r"\n{3,}")


def as_seen(text: str) -> str:
    """`text` as Teams showed it to the person who sent it."""
    text = _ANCHOR.sub(_link, text)
    text = _EMOJI.sub(lambda m: m[1] if m[1] is not None else m[2], text)
    text = _BREAK.sub("\n", text)
    text = _ELEMENT.sub("", text)
    text = html.unescape(text).replace("\xa0", " ")
    return _BLANK_LINES.sub("\n\n", text).strip()


def _link(match: re.Match[str]) -> str:
    # Entities stay as they are here: the whole text's are undone once, after.
    url = match[1] if match[1] is not None else match[2]
    label = _ELEMENT.sub("", match[3]).strip()
    if not label or _bare(html.unescape(label)) == _bare(html.unescape(url)):
        return label or url
    return f"{label} ({url})"


def _bare(url: str) -> str:
    return re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip(), flags=re.IGNORECASE).rstrip("/")
