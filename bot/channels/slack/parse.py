"""Slack payloads (Events API, block actions, slash commands, shortcuts) -> SlackInput.

Pure functions, no I/O: the handler verifies and acks the request, looks the user up, and then
hands the router `to_inbound(...)`. What is parsed, and what is dropped:

- `parse_event`: an Events API `event_callback` envelope. A person's direct message to the bot
  (`message` with `channel_type` "im", no subtype or subtype `file_share`) and `app_home_opened`.
  Messages from bots (`bot_id`, subtype `bot_message`), our own, edits and deletions (and every
  other subtype), and messages outside the bot's DMs give None.
- `parse_action`: a `block_actions` interaction. A button gives its `value`; the multi-choice
  "Done" button (action_id `multi_done`) gives the values ticked in every checkboxes element of
  its message, in the order they appear; a name chosen in a person step's menu (action_id
  `person_pick`) gives its `selected_option.value`. Ticking a box, other selects and other types
  give None. The click token of a question's buttons and menus comes from the action's
  `block_id` (`ask|<token>|<n>`); the clicked message's blocks and text are kept for the update
  once it is answered.
- `parse_command`: the `/online-safety` slash command's form, its text mapped to the router's
  words (a report kind's command word starts that kind); `parse_shortcut`: the global shortcut
  `report_concern`, which starts the default kind.

A payload missing what Slack always sends raises `SlackPayloadError`, whose message is a short
reason that never quotes the payload, so the handler can log it and ack.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.channels.payload import Fields, digest
from bot.channels.slack.blocks import token_of
from bot.channels.slack.markup import as_seen, unescape
from bot.channels.slack.people import PERSON_PICK, picked_value
from bot.delivery.messages import Inbound, User
from bot.reports.use_cases import default_start_value, start_value_for_command
from bot.words import strings

CHANNEL = "slack"
MULTI_DONE = "multi_done"  # the action_id of the multi-choice question's "Done" button
REPORT_SHORTCUT = "report_concern"  # the callback_id of the global shortcut
_MAX_ID_CHARS = 100

# `/online-safety <text>`: a report kind's command word gives `start:<kind id>`; the words for
# the open cases, for my reports, for the low-level concerns log, for the rota, the response
# times, the governors' summary and the drills (the catalogue's, as typed in a DM) go to the
# router as they are, and so do a closure or cover command with what follows it (a date, a
# reason, a time range: its case kept, as typed in a DM); anything else, or nothing, is help.
_PASSED_ON = (
    strings.CASES_WORDS
    | strings.MINE_WORDS
    | strings.LOW_LEVEL_WORDS
    | strings.ON_CALL_WORDS
    | strings.STATS_WORDS
    | strings.SUMMARY_WORDS
    | strings.DRILL_WORDS
    | strings.DRILL_RESULTS_WORDS
    | strings.MONITORING_STATS_WORDS
)
_PASSED_ON_WITH_WORDS = (
    strings.CLOSURE_WORDS
    | strings.CLOSURE_LIST_WORDS
    | strings.CLOSURE_REMOVE_WORDS
    | strings.COVER_WORDS
    | strings.COVER_CANCEL_WORDS
)

Kind = Literal["message", "action", "command", "shortcut", "home"]


class SlackPayloadError(ValueError):
    """A payload missing or mistyping what Slack always sends. The message is a short reason,
    with nothing of the payload's content: safe to log."""


@dataclass(frozen=True)
class SlackInput:
    """One thing a Slack user did, in the router's terms, with what the handler needs to reply.

    `channel_id` is the bot's DM with the user, where known: None for slash commands (typed in any
    conversation, see `origin_channel_id`) and global shortcuts; the handler opens the DM.
    `text` of a message is Slack's, with its markup and escapes (`<@U…>`, `&amp;`):
    `to_inbound` turns it into what the person saw, once the mentioned people are looked up.
    `message_ts` and `channel_id` of an action name the clicked message (for chat.update, unless
    `ephemeral`, which only `response_url` can replace). `message_id` is the delivery's key for
    deduplication: the event_id for events; for an action a digest of the clicked message, the
    action_id and the action_ts (the same delivery twice gives the same key, another button on
    the same message another key); for commands and shortcuts a digest of the trigger_id.
    """

    kind: Kind
    team_id: str
    user_id: str
    channel_id: str | None
    text: str | None = None
    value: str | None = None
    values: tuple[str, ...] | None = None
    message_id: str | None = None
    attachments: int = 0
    token: str | None = None  # a click's token, from its block_id (dialogs/prompts.py)
    # The clicked message as Slack sent it back (`message.blocks`, `message.text`): what
    # chat.update keeps of it once its question is answered.
    message_blocks: tuple[dict[str, Any], ...] = ()
    message_text: str | None = None
    action_id: str | None = None
    message_ts: str | None = None
    ephemeral: bool = False
    response_url: str | None = None
    trigger_id: str | None = None
    origin_channel_id: str | None = None
    tab: str | None = None  # app_home_opened: "home" or "messages"


def parse_event(body: Mapping[str, Any], *, bot_user_id: str | None = None) -> SlackInput | None:
    """An Events API envelope -> the user's DM or App Home visit; None for anything else.

    `bot_user_id` (the bot's own user id, from auth.test) also drops our own messages should one
    ever arrive without its `bot_id`.
    """
    if body.get("type") != "event_callback":
        raise SlackPayloadError("not an event_callback envelope")
    team_id = _str(body, "team_id", "envelope")
    event_id = _id(body, "event_id", "envelope")
    event = _obj(body, "event", "envelope")
    event_type = event.get("type")
    if event_type == "app_home_opened":
        return SlackInput(
            kind="home",
            team_id=team_id,
            user_id=_str(event, "user", "app_home_opened"),
            channel_id=_opt_str(event, "channel", "app_home_opened"),
            message_id=event_id,
            tab=_opt_str(event, "tab", "app_home_opened"),
        )
    if event_type != "message" or event.get("channel_type") != "im":
        return None
    subtype = event.get("subtype")
    if subtype not in (None, "file_share"):
        return None  # bot_message, message_changed, message_deleted, thread_broadcast, ...
    if event.get("bot_id") is not None or event.get("bot_profile") is not None:
        return None
    user_id = _str(event, "user", "message")
    if bot_user_id is not None and user_id == bot_user_id:
        return None
    files = event.get("files")
    if files is not None and not isinstance(files, list):
        raise SlackPayloadError("message files is not a list")
    attachments = len(files or ())
    if subtype == "file_share":
        attachments = max(attachments, 1)
    return SlackInput(
        kind="message",
        team_id=team_id,
        user_id=user_id,
        channel_id=_str(event, "channel", "message"),
        text=_opt_str(event, "text", "message") or "",  # with Slack's markup: see to_inbound
        message_id=event_id,
        attachments=attachments,
    )


def parse_action(body: Mapping[str, Any]) -> SlackInput | None:
    """A block_actions payload -> a button's value, or the ticked values for `multi_done`."""
    if body.get("type") != "block_actions":
        return None  # view_submission, interactive_message, ...: nothing the bot sends
    user = _obj(body, "user", "block_actions")
    user_id = _str(user, "id", "block_actions user")
    team_id = _team_id(body, user)
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        raise SlackPayloadError("block_actions without actions")
    action = actions[0]
    if not isinstance(action, Mapping):
        raise SlackPayloadError("block_actions action is not an object")
    action_id = _str(action, "action_id", "action")
    action_ts = _str(action, "action_ts", "action")
    picker = action.get("type") == "external_select" and action_id == PERSON_PICK
    if action.get("type") != "button" and not picker:
        return None  # a box ticked (the answer is read at Done), a select, a date picker, ...
    container = _opt_obj(body, "container", "block_actions") or {}
    message = _opt_obj(body, "message", "block_actions")
    view = _opt_obj(body, "view", "block_actions")
    channel = _opt_obj(body, "channel", "block_actions")
    channel_id = _opt_str(channel, "id", "channel") if channel else None
    channel_id = channel_id or _opt_str(container, "channel_id", "container")
    message_ts = _opt_str(container, "message_ts", "container")
    if message_ts is None and message is not None:
        message_ts = _opt_str(message, "ts", "message")
    anchor = message_ts or (_opt_str(view, "id", "view") if view else None) or ""
    key = _digest("action", team_id, user_id, channel_id or "", anchor, action_id, action_ts)
    if action_id == MULTI_DONE:
        value, values = None, _ticked(body, message or view)
    elif picker:  # a person chosen in the person step's menu
        value, values = picked_value(action), None
        if value is None:
            return None
    else:
        value, values = _opt_str(action, "value", "button"), None
        if value is None:
            return None  # a button without a value is not one of ours
    return SlackInput(
        kind="action",
        team_id=team_id,
        user_id=user_id,
        channel_id=channel_id,
        value=value,
        values=values,
        message_id=key,
        token=token_of(_opt_str(action, "block_id", "action")),
        message_blocks=_blocks(message),
        message_text=_opt_str(message, "text", "message") if message else None,
        action_id=action_id,
        message_ts=message_ts,
        ephemeral=container.get("is_ephemeral") is True,
        response_url=_opt_str(body, "response_url", "block_actions"),
        trigger_id=_opt_str(body, "trigger_id", "block_actions"),
    )


def parse_command(form: Mapping[str, Any]) -> SlackInput:
    """The slash command's form fields -> the router's words; an unknown subcommand -> help."""
    team_id = _str(form, "team_id", "command")
    user_id = _str(form, "user_id", "command")
    if not _str(form, "command", "command").startswith("/"):
        raise SlackPayloadError("command name does not start with /")
    typed = " ".join(unescape(_opt_str(form, "text", "command") or "").split())
    words = typed.casefold()
    value = start_value_for_command(words)
    trigger_id = _opt_str(form, "trigger_id", "command")
    return SlackInput(
        kind="command",
        team_id=team_id,
        user_id=user_id,
        channel_id=None,
        text=None if value else _passed_on(typed),
        value=value,
        message_id=_digest("command", team_id, user_id, trigger_id) if trigger_id else None,
        response_url=_opt_str(form, "response_url", "command"),
        trigger_id=trigger_id,
        origin_channel_id=_opt_str(form, "channel_id", "command"),
    )


def _passed_on(typed: str) -> str:
    """What the router is given for a command's text that starts no report: see _PASSED_ON."""
    words = typed.casefold()
    if words in _PASSED_ON:
        return words
    for command in _PASSED_ON_WITH_WORDS:
        if words == command or words.startswith(command + " "):
            return typed
    return "help"


def parse_shortcut(body: Mapping[str, Any]) -> SlackInput:
    """A global shortcut -> "start:<default kind>" for `report_concern`; any other -> help."""
    if body.get("type") != "shortcut":
        raise SlackPayloadError("not a global shortcut")
    user = _obj(body, "user", "shortcut")
    user_id = _str(user, "id", "shortcut user")
    team_id = _team_id(body, user)
    callback_id = _str(body, "callback_id", "shortcut")
    trigger_id = _opt_str(body, "trigger_id", "shortcut")
    value = default_start_value() if callback_id == REPORT_SHORTCUT else None
    return SlackInput(
        kind="shortcut",
        team_id=team_id,
        user_id=user_id,
        channel_id=None,
        text=None if value else "help",
        value=value,
        message_id=_digest("shortcut", team_id, user_id, trigger_id) if trigger_id else None,
        trigger_id=trigger_id,
    )


def to_inbound(
    item: SlackInput,
    user: User,
    *,
    conversation_key: str | None = None,
    names: Mapping[str, str] | None = None,
) -> Inbound:
    """The router's message for `item`, from `user` (looked up by the handler). A visit to the
    App Home is a session start: the router shows the unfinished report, or the menu.

    A message's text is given as the person saw it (bot/channels/slack/markup.py), its
    mentions named from `names` (Slack user id -> name, looked up by the handler), so what is
    stored is what was typed, not Slack's markup."""
    text = as_seen(item.text, names) if item.kind == "message" and item.text else item.text
    return Inbound(
        channel=CHANNEL,
        conversation_key=conversation_key or user.email,
        user=user,
        text=text,
        value=item.value,
        values=item.values,
        message_id=item.message_id,
        attachments=item.attachments,
        session_start=item.kind == "home",
        token=item.token,
    )


def _blocks(message: Mapping[str, Any] | None) -> tuple[dict[str, Any], ...]:
    blocks = message.get("blocks") if message is not None else None
    if not isinstance(blocks, list):
        return ()
    return tuple(dict(block) for block in blocks if isinstance(block, Mapping))


def _ticked(body: Mapping[str, Any], source: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Every checkboxes element's selected values, in the order the elements appear in the
    message (or view) that holds them; elements the state has but the blocks lack come last."""
    state = _opt_obj(body, "state", "block_actions")
    if state is None and source is not None:
        state = _opt_obj(source, "state", "view")
    if state is None:
        raise SlackPayloadError("multi_done without state")
    values = _obj(state, "values", "state")
    keys = list(_checkbox_keys(source))
    for block_id, block in values.items():
        if not isinstance(block, Mapping):
            raise SlackPayloadError("state block is not an object")
        keys += [(block_id, action_id) for action_id in block]
    ticked: list[str] = []
    seen: set[tuple[str, str]] = set()
    for block_id, action_id in keys:
        element = values.get(block_id, {}).get(action_id)
        if (block_id, action_id) in seen or not isinstance(element, Mapping):
            continue
        seen.add((block_id, action_id))
        if element.get("type") != "checkboxes":
            continue
        options = element.get("selected_options")
        if not isinstance(options, list):
            raise SlackPayloadError("checkboxes selected_options is not a list")
        for option in options:
            if not isinstance(option, Mapping):
                raise SlackPayloadError("selected option is not an object")
            ticked.append(_str(option, "value", "selected option"))
    return tuple(ticked)


def _checkbox_keys(source: Mapping[str, Any] | None) -> Iterator[tuple[str, str]]:
    """(block_id, action_id) of each checkboxes element in the source's blocks, in order."""
    blocks = source.get("blocks") if source is not None else None
    for block in blocks if isinstance(blocks, list) else ():
        if not isinstance(block, Mapping) or not isinstance(block.get("block_id"), str):
            continue
        elements = block.get("elements")
        candidates = [block.get("accessory"), block.get("element")]
        candidates += elements if isinstance(elements, list) else []
        for element in candidates:
            if (
                isinstance(element, Mapping)
                and element.get("type") == "checkboxes"
                and isinstance(element.get("action_id"), str)
            ):
                yield block["block_id"], element["action_id"]


def _team_id(body: Mapping[str, Any], user: Mapping[str, Any]) -> str:
    """The workspace: `team.id`, or the user's `team_id` where `team` is null (org installs)."""
    team = body.get("team")
    if isinstance(team, Mapping) and isinstance(team.get("id"), str) and team["id"]:
        return str(team["id"])
    team_id = user.get("team_id")
    if isinstance(team_id, str) and team_id:
        return team_id
    raise SlackPayloadError("payload without a team id")


def _id(parent: Mapping[str, Any], key: str, where: str) -> str:
    value = _str(parent, key, where)
    if len(value) > _MAX_ID_CHARS or not (value.isascii() and value.isprintable()):
        raise SlackPayloadError(f"{where} {key} is not an id")
    return value


_fields = Fields(SlackPayloadError)
_obj, _opt_obj, _str, _opt_str = _fields.obj, _fields.opt_obj, _fields.string, _fields.opt_string


def _digest(*parts: str) -> str:
    return digest("slack", *parts)
