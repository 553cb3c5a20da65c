"""The neutral message model every channel translates to and from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from dialogs.prompts import Notice, Option, Prompt, Question, Summary, SummaryRow, Tone


@dataclass(frozen=True)
class CardField:
    label: str
    value: str


@dataclass(frozen=True)
class Link:
    """A link to a page of this bot's own server (a path such as /api/web/...), e.g. an export.

    The web chat shows it as a link; Slack and Teams, which cannot open the bot's pages (they
    need the web chat's sign-in), leave it out rather than show a path nobody can open.
    """

    label: str
    path: str


# What a file is: everyone's answers to a self-audit (its `id` a campaign's); a case's
# chronology as CSV (its `id` the case's); the filtering and monitoring review's document as a
# PDF and the filtering checks of its year as CSV (its `id` the review's year); every filtering
# check as CSV (`checks`; its `id` 0: there is one such file).
FileKind = Literal["audit_csv", "case_chronology", "review_pdf", "review_checks_csv", "checks_csv"]
FILE_KINDS: frozenset[str] = frozenset(get_args(FileKind))


@dataclass(frozen=True)
class FileSource:
    """Which file an attachment is, so that a channel that delivers it later can have it made
    afresh from the database, for whoever is asking then, if they are allowed: never its
    contents, names or answers. Teams offers a file this way (the person allows it first)."""

    kind: FileKind
    id: int  # the campaign's, the case's or the review's year, as `kind` says
    # The school whose file it is, in a deployment serving a trust (bot/delivery/school_tags.py)
    school: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a card: a chart, an export.

    Each channel delivers it as it can: Slack uploads it into the conversation after the card;
    Teams shows an image in the chat, and offers a file that has a `source` to be saved to the
    person's OneDrive once they allow it; the web chat, which can open the bot's own pages,
    shows `link` instead, where the file is made afresh for whoever is signed in and allowed.
    Sent with a turn's replies only (alerts and other proactive messages carry none). `data` is
    left out of the repr, so a logged message never holds a file's contents.
    """

    filename: str
    media_type: str  # "image/png", "text/csv; charset=utf-8"
    data: bytes = field(repr=False)
    title: str  # what it is, shown with it
    alt_text: str | None = None  # an image's text alternative, read out by screen readers
    link: Link | None = None  # the same file on the bot's own pages, for the web chat
    source: FileSource | None = None  # how to make it again later, for Teams

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


@dataclass(frozen=True)
class Card:
    """A case card (an alert, a case's details). A later card with the same `card_id` replaces
    it where the channel can update a message (web, Slack, Teams), or follows it otherwise."""

    card_id: str
    title: str
    tone: Tone = "info"
    text: str | None = None
    fields: tuple[CardField, ...] = ()
    actions: tuple[Option, ...] = ()
    footer: str | None = None
    links: tuple[Link, ...] = ()
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Answered:
    """The message that asked the question with `token` is answered: where the platform lets a
    bot change a message it sent (Slack, Teams), the clicked message loses its buttons and shows
    `prompt` (the question as it was asked; None when it is no longer known) with `answer`.
    Nothing is posted for it; the web chat, which disables old questions itself, ignores it.
    """

    token: str
    prompt: Question | Summary | None
    answer: str | None  # the answer given, as the person reads it; None: answered earlier


Outbound = Prompt | Card | Answered

__all__ = [
    "Answered",
    "Attachment",
    "Card",
    "CardField",
    "FileSource",
    "Inbound",
    "Link",
    "Notice",
    "Option",
    "Outbound",
    "Question",
    "Summary",
    "SummaryRow",
    "User",
]


@dataclass(frozen=True)
class User:
    """Who sent a message: the platform's id for them, and the e-mail that is their key here."""

    platform_id: str
    email: str
    display_name: str


@dataclass(frozen=True)
class Inbound:
    """One thing a user did: typed text, pressed a button, or ticked boxes and pressed Done.

    `message_id` is the platform's id for this delivery; a second delivery of the same id is
    ignored. `attachments` counts files or images the user tried to send: they are never stored.
    `token` is a click's token, naming the question it was on (see dialogs/prompts.py); None for
    typed text, for the menu's buttons and for messages sent before tokens existed.
    """

    channel: str
    conversation_key: str
    user: User
    text: str | None = None
    value: str | None = None
    values: tuple[str, ...] | None = None
    message_id: str | None = None
    attachments: int = 0
    session_start: bool = False
    token: str | None = None
    # The channel's own condition for this turn (the web chat's: the sign-in is still live),
    # awaited with the turn's database session before anything else, inside its transaction:
    # it raises to refuse the turn, and nothing of it is written. One check where there were
    # two transactions a turn, and no gap between checking and acting.
    gate: Callable[[Any], Awaitable[None]] | None = field(default=None, compare=False, repr=False)

    @property
    def is_click(self) -> bool:
        return self.value is not None or self.values is not None
