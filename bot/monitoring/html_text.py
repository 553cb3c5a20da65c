"""The text of an HTML e-mail, for reading its labelled lines: the tags stripped by the standard
library's parser, one line per block or table row, cells apart by a tab.

Nothing is ever loaded: images, style sheets and scripts are dropped unread, and a link is kept
only as its text and address (the provider's console link, shown defanged, never opened).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Tags that end a line of text where they open or close.
_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    ]
)
_CELLS = frozenset({"td", "th"})
# Whose content is not text for the reader.
_SKIPPED = frozenset({"head", "script", "style", "template", "noscript", "svg", "object"})


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass
class HtmlText:
    """The lines of text of an HTML document, and its links (text and address)."""

    lines: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.result = HtmlText()
        self._line: list[str] = []
        self._skipping = 0
        self._link: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BLOCKS:
            self._end_line()
        elif tag in _CELLS:
            self._line.append("\t")
        elif tag == "a":
            href = dict(attrs).get("href")
            self._link = (href, []) if href else None

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self._end_line()
        elif tag == "a" and self._link is not None:
            href, words = self._link
            self.result.links.append(Link(" ".join("".join(words).split()), href))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        self._line.append(data)
        if self._link is not None:
            self._link[1].append(data)

    def _end_line(self) -> None:
        cells = [" ".join(cell.split()) for cell in "".join(self._line).split("\t")]
        line = "\t".join(cell for cell in cells if cell)
        if line:
            self.result.lines.append(line)
        self._line = []

    def close(self) -> None:
        super().close()
        self._end_line()


def html_text(document: str) -> HtmlText:
    """The text and links of `document`, read without loading anything it refers to."""
    reader = _Reader()
    reader.feed(document)
    reader.close()
    return reader.result
