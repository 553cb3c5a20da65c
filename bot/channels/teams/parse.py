"""Teams activities (Bot Framework JSON, as received) -> TeamsInput. Pure: no I/O, no SDK.

The handler authenticates the request, parses, looks the user up and hands the router
`to_inbound(...)`. Only the bot's personal chats are served: an activity whose channelId is not
"msteams" (the Microsoft 365 Agents Playground sends that too when run as `-c msteams`), or whose
conversation is not "personal" (a group chat, a channel), gives None. Of the rest:

- a `message` whose `value` carries our marker (`"os": 1`) is a click on one of our cards'
  Action.Submit buttons: `{"os": 1, "v": value}` gives that value; `{"os": 1, "multi": step}`
  (a multi-choice question's Done) gives the values ticked in the card's Input.ChoiceSet, which
  Teams sends under the input's id as one comma-joined string ("" when none is ticked);
  `{"os": 1, "person": step}` (a person step's Choose) gives the value chosen in its picker;
  `{"os": 1, "change": 1}` (the summary's Change) gives the `edit:<step>` chosen in its list. A
  question's or summary's buttons also carry `"t": <click token>` (dialogs/prompts.py): it
  goes into `Inbound.token`. A value without the marker is not from our cards (an old card,
  another app's): None.
- any other `message` is text: the bot's own `<at>` mention is taken out, other people's are
  left as their names, and Teams' HTML becomes the plain text the person saw
  (bot/channels/teams/markup.py; length limits are the dialogs' business).
  Files and images the person attached are counted, never kept; the "text/html" copy Teams
  adds of the text and any card are not files.
- `conversationUpdate` adding the bot, and `installationUpdate` "add", are an install; the bot
  removed, and "remove", an uninstall.
- an `invoke` named "fileConsent/invoke" is the person's answer to one of our file consent
  cards (bot/channels/teams/files.py): Allow ("accept", with where to upload the file) or
  Decline. Its context names the file only as FileSource ({"os": 1, "file": kind, "id": n}:
  a self-audit's campaign, or a case; a card offered before "id" replaced "campaign_id" still
  counts); anything else there gives a consent whose `source` is None.
- an `invoke` named "application/search" is the person picker's type-ahead
  (bot/channels/teams/people.py): its `search` is None when the dataset is not ours.
- Upgrades, typing, reactions, other invokes, events: None.

An activity missing what Teams always sends raises TeamsPayloadError, whose message is a short
reason that never quotes the activity, so the handler can log it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.channels.payload import Fields, digest
from bot.channels.teams.markup import as_seen
from bot.channels.teams.people import (
    PERSON_INPUT,
    PERSON_KEY,
    SEARCH_INVOKE,
    PeopleSearch,
    parse_search,
)
from bot.delivery.messages import FILE_KINDS, FileSource, Inbound, User
from bot.delivery.school_tags import untag_value

CHANNEL = "teams"
CHANNEL_ID = "msteams"
MARKER = "os"  # in every Action.Submit `data` we render: its version, 1
VALUE_KEY = "v"
MULTI_KEY = "multi"
CLICK_KEY = "t"  # a question's or summary's click token (dialogs/prompts.py)
MAX_TOKEN_CHARS = 100
TICKED_INPUT = "os_ticked"  # the id of a multi-choice question's Input.ChoiceSet
CHANGE_KEY = "change"  # in the summary's Change button's data
CHANGE_INPUT = "os_change"  # the id of the summary's "Change an answer" Input.ChoiceSet
FILE_CONSENT = "fileConsent/invoke"
FILE_KEY = "file"  # in a file consent card's context: the FileSource's kind
ID_KEY = "id"  # ...and its id: a campaign's, a case's
SCHOOL_KEY = "school"  # ...and, in a trust's deployment, its school's key
MAX_SCHOOL_KEY = 64  # as long as `schools.key` may be
LEGACY_ID_KEYS = {"audit_csv": "campaign_id"}  # what cards offered before "id" said
_NOT_FILES = ("text/html", "application/vnd.microsoft.card.")

Kind = Literal["message", "action", "install", "uninstall", "file_consent", "search"]
_INSTALLATION: dict[str, Kind] = {"add": "install", "remove": "uninstall"}
_MEMBERSHIP: tuple[tuple[str, Kind], ...] = (
    ("membersAdded", "install"),
    ("membersRemoved", "uninstall"),
)


class TeamsPayloadError(ValueError):
    """An activity missing or mistyping what Teams always sends. The message is a short reason,
    with nothing of the activity's content: safe to log."""


@dataclass(frozen=True)
class UploadInfo:
    """Where Teams lets the bot put a file the person allowed: a OneDrive upload session.
    `upload_url` is pre-authorised (whoever has it can write the file), so it is kept out of
    the repr and never logged."""

    upload_url: str = field(repr=False)
    content_url: str
    name: str
    unique_id: str
    file_type: str


@dataclass(frozen=True)
class FileConsent:
    """The answer to a file consent card: Allow (with `upload`) or Decline. `source` is the
    file the card offered, as its context says; None if the context is not one of ours."""

    accepted: bool
    source: FileSource | None
    upload: UploadInfo | None = None


@dataclass(frozen=True)
class TeamsInput:
    """One thing a Teams user did, in the router's terms, with what the handler needs to reply.

    `message_id` is the delivery's key for deduplication, of fixed length: a digest of the
    conversation and activity ids; for a click on a question's card, of the clicked card
    (`reply_to_id`) and the button, so a double click counts once, but not for case buttons
    ("case:..."), which may be pressed again on purpose, nor for Send, which the router answers
    with the reference already given; for an install, of the conversation and
    the day, because Teams sends both a conversationUpdate and an installationUpdate for one.
    """

    kind: Kind
    activity_id: str
    user_id: str
    aad_object_id: str | None
    user_name: str
    conversation_id: str
    tenant_id: str | None
    service_url: str
    bot_id: str
    bot_name: str
    message_id: str
    text: str | None = None
    value: str | None = None
    values: tuple[str, ...] | None = None
    attachments: int = 0
    reply_to_id: str | None = None
    consent: FileConsent | None = None
    search: PeopleSearch | None = None
    token: str | None = None


def parse_activity(activity: Mapping[str, Any]) -> TeamsInput | None:
    """An activity -> what the person did, or None for anything the bot does not act on."""
    if not isinstance(activity, Mapping):
        raise TeamsPayloadError("activity is not an object")
    kind = _str(activity, "type", "activity")
    if _str(activity, "channelId", "activity") != CHANNEL_ID:
        return None
    if kind not in {"message", "conversationUpdate", "installationUpdate", "invoke"}:
        return None
    if kind == "invoke" and activity.get("name") not in (FILE_CONSENT, SEARCH_INVOKE):
        return None
    conversation = _obj(activity, "conversation", "activity")
    if _opt_str(conversation, "conversationType", "conversation") not in (None, "personal"):
        return None
    if conversation.get("isGroup") is True:
        return None
    base = _base(activity, conversation)
    if kind == "message":
        return _message(activity, base)
    if kind == "invoke" and activity.get("name") == SEARCH_INVOKE:
        key = _digest("search", base["conversation_id"], base["activity_id"])
        search = parse_search(_obj(activity, "value", "invoke"))
        return TeamsInput(kind="search", message_id=key, search=search, **base)
    if kind == "invoke":
        key = _digest("consent", base["conversation_id"], base["activity_id"])
        consent = _file_consent(_obj(activity, "value", "invoke"))
        return TeamsInput(kind="file_consent", message_id=key, consent=consent, **base)
    event: Kind | None
    if kind == "installationUpdate":
        event = _INSTALLATION.get(_opt_str(activity, "action", "installationUpdate") or "")
    else:
        event = _membership(activity, base["bot_id"])
    if event is None:
        return None
    day = (_opt_str(activity, "timestamp", kind) or "")[:10]
    key = event_key(event, base["conversation_id"], day)
    return TeamsInput(kind=event, message_id=key, **base)


def event_key(event: Kind, conversation_id: str, day: str) -> str:
    """An install's (or uninstall's) delivery key: one a day for a conversation, as Teams sends
    a conversationUpdate and an installationUpdate for one. The handler forgets the day's
    install key when the app is removed, so that installing it again that day greets again."""
    return _digest(event, conversation_id, day)


def to_inbound(item: TeamsInput, user: User) -> Inbound:
    """The router's message for `item`, from `user` (looked up by the handler). An install is a
    session start: the router shows the unfinished report, or the menu."""
    return Inbound(
        channel=CHANNEL,
        conversation_key=user.email,
        user=user,
        text=item.text,
        value=item.value,
        values=item.values,
        message_id=item.message_id,
        attachments=item.attachments,
        session_start=item.kind == "install",
        token=item.token,
    )


def submitted_value(data: Mapping[str, Any]) -> str | None:
    """The option value one of our Action.Submit `data` sends; None for a Done button, or for
    data that is not ours."""
    if type(data.get(MARKER)) is not int or data[MARKER] != 1 or MULTI_KEY in data:
        return None
    value = data.get(VALUE_KEY)
    return value if isinstance(value, str) and value else None


def _base(activity: Mapping[str, Any], conversation: Mapping[str, Any]) -> dict[str, Any]:
    sender = _obj(activity, "from", "activity")
    recipient = _obj(activity, "recipient", "activity")
    service_url = _str(activity, "serviceUrl", "activity")
    if not service_url.startswith(("https://", "http://")):
        raise TeamsPayloadError("activity serviceUrl is not a URL")
    channel_data = _opt_obj(activity, "channelData", "activity") or {}
    tenant = _opt_obj(channel_data, "tenant", "channelData") or {}
    return {
        "activity_id": _str(activity, "id", "activity"),
        "user_id": _str(sender, "id", "from"),
        "aad_object_id": _opt_str(sender, "aadObjectId", "from"),
        "user_name": _opt_str(sender, "name", "from") or "",
        "conversation_id": _str(conversation, "id", "conversation"),
        "tenant_id": _opt_str(conversation, "tenantId", "conversation")
        or _opt_str(tenant, "id", "tenant"),
        "service_url": service_url,
        "bot_id": _str(recipient, "id", "recipient"),
        "bot_name": _opt_str(recipient, "name", "recipient") or "",
        "reply_to_id": _opt_str(activity, "replyToId", "activity"),
    }


def _message(activity: Mapping[str, Any], base: dict[str, Any]) -> TeamsInput | None:
    value = activity.get("value")
    if isinstance(value, Mapping) and type(value.get(MARKER)) is int:
        return _action(value, base) if value[MARKER] == 1 else None
    text = _opt_str(activity, "text", "message")
    attachments = _files(activity)
    if value is not None and not text and not attachments:
        return None  # a submit from a card that is not ours
    key = _digest("message", base["conversation_id"], base["activity_id"])
    text = _without_bot_mention(text or "", activity, base["bot_id"])
    return TeamsInput(kind="message", message_id=key, text=text, attachments=attachments, **base)


def _action(value: Mapping[str, Any], base: dict[str, Any]) -> TeamsInput | None:
    multi = value.get(MULTI_KEY)
    person = value.get(PERSON_KEY)
    if CHANGE_KEY in value:  # the summary's Change: the answer chosen in its ChoiceSet
        picked = value.get(CHANGE_INPUT, "")
        if not isinstance(picked, str):
            raise TeamsPayloadError("action change pick is not a string")
        button: str | None = picked if picked.startswith("edit:") else "edit:"  # none chosen
        chosen, values = f"v:{button}", None
    elif person is not None:  # the person picker's Choose: the value chosen in its ChoiceSet
        picked = value.get(PERSON_INPUT, "")
        if not isinstance(person, str) or not isinstance(picked, str):
            raise TeamsPayloadError("action person pick is not a string")
        button, values, chosen = picked or None, None, f"person:{person}:{picked}"
    elif multi is not None:
        if not isinstance(multi, str):
            raise TeamsPayloadError("action multi is not a string")
        ticked = value.get(TICKED_INPUT, "")
        if not isinstance(ticked, str):
            raise TeamsPayloadError("action ticked values are not a string")
        chosen, values = f"multi:{multi}", tuple(v for v in ticked.split(",") if v)
        button = None
    else:
        button = _opt_str(value, VALUE_KEY, "action")
        if button is None:
            return None  # marked as ours, but neither a button nor a Done: not from this bot
        chosen, values = f"v:{button}", None
    conversation, activity_id = base["conversation_id"], base["activity_id"]
    untagged = tagged[1] if button and (tagged := untag_value(button)) else button  # a trust's
    if (untagged or "").startswith("case:") or untagged == "__submit":
        key = _digest("action", conversation, activity_id)
    else:  # one count per button of a card: the clicked card, not the click
        key = _digest("click", conversation, base["reply_to_id"] or activity_id, chosen)
    token = value.get(CLICK_KEY)
    if token is not None and (not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS):
        raise TeamsPayloadError("action token is not a short string")
    return TeamsInput(
        kind="action", message_id=key, value=button, values=values, token=token, **base
    )


def file_context(source: FileSource) -> dict[str, Any]:
    """A file consent card's context for `source`: what the file is, nothing of what it holds;
    and, in a deployment serving a trust, whose it is."""
    context: dict[str, Any] = {MARKER: 1, FILE_KEY: source.kind, ID_KEY: source.id}
    if source.school is not None:
        context[SCHOOL_KEY] = source.school
    return context


def _file_consent(value: Mapping[str, Any]) -> FileConsent:
    action = _str(value, "action", "fileConsent")
    if action not in ("accept", "decline"):
        raise TeamsPayloadError("fileConsent action is neither accept nor decline")
    context = value.get("context")
    source = None
    if isinstance(context, Mapping) and type(context.get(MARKER)) is int and context[MARKER] == 1:
        kind = context.get(FILE_KEY)
        key = ID_KEY if ID_KEY in context else LEGACY_ID_KEYS.get(str(kind), ID_KEY)
        file_id = context.get(key)
        school = context.get(SCHOOL_KEY)
        if school is not None and (not isinstance(school, str) or len(school) > MAX_SCHOOL_KEY):
            raise TeamsPayloadError("file consent school is not a short string")
        if kind in FILE_KINDS and type(file_id) is int:
            source = FileSource(kind, file_id, school)
    if action == "decline":
        return FileConsent(accepted=False, source=source)
    info = _obj(value, "uploadInfo", "fileConsent")
    upload = UploadInfo(
        upload_url=_str(info, "uploadUrl", "uploadInfo"),
        content_url=_str(info, "contentUrl", "uploadInfo"),
        name=_str(info, "name", "uploadInfo"),
        unique_id=_str(info, "uniqueId", "uploadInfo"),
        file_type=_opt_str(info, "fileType", "uploadInfo") or "",
    )
    return FileConsent(accepted=True, source=source, upload=upload)


def _membership(activity: Mapping[str, Any], bot_id: str) -> Kind | None:
    """conversationUpdate: "install" if it adds the bot, "uninstall" if it removes it."""
    for key, event in _MEMBERSHIP:
        members = activity.get(key)
        if members is None:
            continue
        if not isinstance(members, list):
            raise TeamsPayloadError(f"conversationUpdate {key} is not a list")
        for member in members:
            if not isinstance(member, Mapping):
                raise TeamsPayloadError(f"conversationUpdate {key} member is not an object")
            if member.get("id") == bot_id:
                return event
    return None


def _files(activity: Mapping[str, Any]) -> int:
    """How many files or images came with a message, not counting Teams' HTML copy or cards."""
    attachments = activity.get("attachments")
    if attachments is None:
        return 0
    if not isinstance(attachments, list):
        raise TeamsPayloadError("message attachments is not a list")
    count = 0
    for attachment in attachments:
        if not isinstance(attachment, Mapping):
            raise TeamsPayloadError("message attachment is not an object")
        content_type = _opt_str(attachment, "contentType", "attachment") or ""
        count += not content_type.lower().startswith(_NOT_FILES)
    return count


def _without_bot_mention(text: str, activity: Mapping[str, Any], bot_id: str) -> str:
    """The text without the bot's mention (as the entities name it), and the rest as the person
    saw it (bot/channels/teams/markup.py): other mentions become the name they show, without
    the tags, and Teams' HTML plain text."""
    entities = activity.get("entities")
    for entity in entities if isinstance(entities, list) else ():
        if not isinstance(entity, Mapping) or entity.get("type") != "mention":
            continue
        mentioned = entity.get("mentioned")
        tagged = entity.get("text")
        ours = isinstance(mentioned, Mapping) and mentioned.get("id") == bot_id
        if ours and isinstance(tagged, str) and tagged:
            text = text.replace(tagged, "")
    return as_seen(text)


_fields = Fields(TeamsPayloadError)
_obj, _opt_obj, _str, _opt_str = _fields.obj, _fields.opt_obj, _fields.string, _fields.opt_string


def _digest(*parts: str) -> str:
    return digest("teams", *parts)
