"""The Slack parser, on stored payloads shaped like those Slack sends (tests/slack/payloads/)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.channels.slack.parse import (
    SlackInput,
    SlackPayloadError,
    parse_action,
    parse_command,
    parse_event,
    parse_shortcut,
    to_inbound,
    unescape,
)
from bot.delivery.messages import User

PAYLOADS = Path(__file__).parent / "payloads"
TEAM = "T07QB6L2M1A"
USER = "U07R2AB9C1D"
DM = "D07R3CD8E2F"
BOT_USER = "U07QD3P6M4S"


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return payload


def parsed_event(name: str) -> SlackInput:
    item = parse_event(load(name), bot_user_id=BOT_USER)
    assert item is not None
    return item


def parsed_action(name: str) -> SlackInput:
    item = parse_action(load(name))
    assert item is not None
    return item


# Events API: direct messages and the App Home


def test_a_direct_message_is_the_users_text() -> None:
    item = parsed_event("message_im")
    assert item == SlackInput(
        kind="message",
        team_id=TEAM,
        user_id=USER,
        channel_id=DM,
        text="A Year 9 pupil showed me a group chat where someone is being bullied",
        message_id="Ev082Q4TJ7LR",
    )


def test_the_same_event_delivered_again_has_the_same_id() -> None:
    assert parsed_event("message_im").message_id == parsed_event("message_im").message_id


def test_a_file_shared_in_the_dm_counts_as_an_attachment_with_its_text() -> None:
    item = parsed_event("message_im_file_share")
    assert (item.kind, item.attachments, item.text) == ("message", 1, "Screenshot of the message")
    assert (item.user_id, item.channel_id, item.message_id) == (USER, DM, "Ev082Q6F0B2M")


def test_a_file_shared_without_a_caption_still_counts() -> None:
    body = load("message_im_file_share")
    del body["event"]["text"]
    del body["event"]["files"]
    item = parse_event(body)
    assert item is not None
    assert (item.attachments, item.text) == (1, "")


@pytest.mark.parametrize(
    "name",
    [
        "message_im_bot",  # our own reply: bot_id and bot_profile
        "message_im_bot_message",  # subtype bot_message
        "message_im_changed",  # an edit
        "message_im_deleted",
        "message_channel",  # a channel message, not the bot's DM
    ],
)
def test_messages_that_are_not_a_person_writing_to_the_bot_are_ignored(name: str) -> None:
    assert parse_event(load(name), bot_user_id=BOT_USER) is None
    assert parse_event(load(name)) is None


def test_our_own_message_is_ignored_even_without_a_bot_id() -> None:
    body = load("message_im")
    body["event"]["user"] = BOT_USER
    assert parse_event(body, bot_user_id=BOT_USER) is None
    assert parse_event(body) is not None  # without the bot's id it is taken as a person's


@pytest.mark.parametrize("subtype", ["thread_broadcast", "me_message", "channel_join"])
def test_other_subtypes_are_ignored(subtype: str) -> None:
    body = load("message_im")
    body["event"]["subtype"] = subtype
    assert parse_event(body) is None


def test_other_event_types_are_ignored() -> None:
    body = load("app_home_opened")
    body["event"]["type"] = "im_open"
    assert parse_event(body) is None


def test_opening_the_app_home_is_a_home_visit() -> None:
    item = parsed_event("app_home_opened")
    assert item == SlackInput(
        kind="home",
        team_id=TEAM,
        user_id=USER,
        channel_id=DM,
        message_id="Ev082Q4R2M8C",
        tab="messages",
    )


def test_slack_escaping_is_undone_and_mentions_are_named() -> None:
    """Kept as Slack sent it until the mentioned people are looked up; then what was seen."""
    item = parsed_event("message_im_escaped")
    assert item.text == (
        "Site: Tom &amp; Jerry's &lt;games&gt; (the page said &amp;lt;blocked&amp;gt;) "
        "cc <@U07R9XY4Z5A>"
    )
    user = User(platform_id=USER, email="sam.teacher@example-school.org.uk", display_name="Sam")
    inbound = to_inbound(item, user, names={"U07R9XY4Z5A": "Jo Whitcombe"})
    assert inbound.text == (
        "Site: Tom & Jerry's <games> (the page said &lt;blocked&gt;) cc @Jo Whitcombe"
    )


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("&amp;lt;", "&lt;"),
        ("&amp;gt;", "&gt;"),
        ("&amp;amp;", "&amp;"),
        ("&lt;&gt;&amp;", "<>&"),
        ("&quot;&#39;&nbsp;", "&quot;&#39;&nbsp;"),  # Slack escapes only &, < and >
        ("<https://example.org|example> <!here>", "<https://example.org|example> <!here>"),
    ],
)
def test_unescape_undoes_exactly_the_three_escapes(sent: str, typed: str) -> None:
    assert unescape(sent) == typed


# Block actions: buttons and the multi-choice Done


def test_a_button_click_is_its_value_with_what_the_reply_needs() -> None:
    item = parsed_action("block_actions_button")
    assert (item.kind, item.value, item.text, item.values) == (
        "action",
        "start:concern",
        None,
        None,
    )
    assert (item.team_id, item.user_id, item.channel_id) == (TEAM, USER, DM)
    assert item.action_id == "choice_0"
    assert item.message_ts == "1732560413.402119"
    assert item.ephemeral is False
    assert item.trigger_id == "8051234567890.7481234567.5e2c1b9d8a7f6e5d4c3b2a1908f7e6d5"
    assert item.response_url == (
        "https://hooks.slack.com/actions/T07QB6L2M1A/8051234567891/Xy7kQw2ErT9uIo3PaS4dFg5H"
    )
    assert item.message_id is not None and item.message_id.startswith("slack:")
    assert len(item.message_id) == len("slack:") + 64


def test_the_same_click_delivered_twice_has_one_id() -> None:
    first, again = parsed_action("block_actions_button"), parsed_action("block_actions_button")
    assert first.message_id == again.message_id


def test_two_buttons_on_the_same_message_have_different_ids() -> None:
    concern, filtering = (
        parsed_action("block_actions_button"),
        parsed_action("block_actions_button_other"),
    )
    assert concern.message_ts == filtering.message_ts
    assert (concern.value, filtering.value) == ("start:concern", "start:filtering")
    assert concern.message_id != filtering.message_id


def test_a_later_click_on_the_same_button_is_a_new_delivery() -> None:
    body = load("block_actions_button")
    body["actions"][0]["action_ts"] = "1732560499.000100"
    later = parse_action(body)
    assert later is not None
    assert later.message_id != parsed_action("block_actions_button").message_id


def test_the_same_click_by_another_user_is_another_delivery() -> None:
    body = load("block_actions_button")
    body["user"]["id"] = "U07R9XY4Z5A"
    other = parse_action(body)
    assert other is not None
    assert other.message_id != parsed_action("block_actions_button").message_id


def test_done_gives_the_ticked_values_of_every_checkboxes_element_in_order() -> None:
    item = parsed_action("block_actions_multi_done")
    # state.values lists the second element first: the order is the message's
    assert item.values == ("snapchat", "roblox")
    assert (item.value, item.text, item.action_id) == (None, None, "multi_done")
    assert item.message_ts == "1732561002.118429"


def test_done_with_nothing_ticked_gives_no_values() -> None:
    body = load("block_actions_multi_done")
    for block in body["state"]["values"].values():
        for element in block.values():
            element["selected_options"] = []
    item = parse_action(body)
    assert item is not None and item.values == ()


def test_done_on_an_ephemeral_message_reads_the_state_alone() -> None:
    body = load("block_actions_multi_done")
    del body["message"]
    body["container"]["is_ephemeral"] = True
    item = parse_action(body)
    assert item is not None
    assert item.values == ("roblox", "snapchat")  # no blocks to order by: the state's order
    assert (item.ephemeral, item.message_ts) == (True, "1732561002.118429")


def test_ticking_a_box_is_not_an_answer() -> None:
    assert parse_action(load("block_actions_checkbox_tick")) is None


def test_a_button_without_a_value_is_ignored() -> None:
    body = load("block_actions_button")
    del body["actions"][0]["value"]
    assert parse_action(body) is None


def test_other_interaction_types_are_ignored() -> None:
    body = load("block_actions_button")
    body["type"] = "view_submission"
    assert parse_action(body) is None


def test_a_button_in_the_home_tab_is_keyed_by_its_view() -> None:
    body = load("block_actions_button")
    for key in ("message", "channel", "response_url"):
        del body[key]
    body["container"] = {"type": "view", "view_id": "V082Q9K1L2M"}
    body["view"] = {"id": "V082Q9K1L2M", "type": "home", "blocks": [], "state": {"values": {}}}
    item = parse_action(body)
    assert item is not None
    assert (item.value, item.channel_id, item.message_ts) == ("start:concern", None, None)
    assert item.message_id is not None


def test_an_org_install_without_a_team_uses_the_users_team() -> None:
    body = load("block_actions_button")
    body["team"] = None
    item = parse_action(body)
    assert item is not None and item.team_id == TEAM


# Slash command and shortcut


@pytest.mark.parametrize(
    ("typed", "text", "value"),
    [
        ("report", None, "start:concern"),
        ("filtering", None, "start:filtering"),
        ("cases", "cases", None),
        ("my reports", "my reports", None),
        ("  My   Reports ", "my reports", None),
        ("help", "help", None),
        ("", "help", None),
        ("Report", None, "start:concern"),
        ("delete everything", "help", None),
        ("report now", "help", None),
        ("open cases", "open cases", None),  # the words a DM accepts, from the catalogue
        ("reports", "reports", None),
        ("low-level concerns", "low-level concerns", None),  # the head's log (KCSIE Part 4)
        ("?", "help", None),
    ],
)
def test_slash_command_subcommands_map_to_the_routers_words(
    typed: str, text: str | None, value: str | None
) -> None:
    form = load("command") | {"text": typed}
    item = parse_command(form)
    assert (item.kind, item.text, item.value) == ("command", text, value)
    assert (item.team_id, item.user_id) == (TEAM, USER)


def test_slash_command_keeps_what_the_reply_needs() -> None:
    item = parse_command(load("command"))
    assert item.channel_id is None  # typed anywhere; the handler opens the bot's DM
    assert item.origin_channel_id == DM
    assert item.trigger_id == "8051250033444.7481234567.2b3c4d5e6f708192a3b4c5d6e7f8091a"
    assert item.response_url is not None and item.response_url.startswith(
        "https://hooks.slack.com/commands/"
    )
    assert item.message_id == parse_command(load("command")).message_id
    other = parse_command(load("command") | {"trigger_id": "8051250099999.7481234567.ffff"})
    assert other.message_id != item.message_id


def test_slash_command_without_text_field_is_help() -> None:
    form = load("command")
    del form["text"]
    assert parse_command(form).text == "help"


def test_the_global_shortcut_starts_a_concern() -> None:
    item = parse_shortcut(load("shortcut_global"))
    assert (item.kind, item.value, item.text) == ("shortcut", "start:concern", None)
    assert (item.team_id, item.user_id, item.channel_id) == (TEAM, USER, None)
    assert item.trigger_id == "8051260044556.7481234567.3c4d5e6f708192a3b4c5d6e7f8091a2b"


def test_an_unknown_shortcut_is_help() -> None:
    body = load("shortcut_global") | {"callback_id": "something_else"}
    item = parse_shortcut(body)
    assert (item.value, item.text) == (None, "help")


# Into the router's message


def test_to_inbound_carries_what_the_router_reads() -> None:
    user = User(platform_id=USER, email="sam.teacher@example-school.org.uk", display_name="Sam")
    done = to_inbound(parsed_action("block_actions_multi_done"), user)
    assert done.channel == "slack"
    assert done.conversation_key == "sam.teacher@example-school.org.uk"
    assert done.values == ("snapchat", "roblox")
    assert done.message_id == parsed_action("block_actions_multi_done").message_id
    assert not done.session_start
    shared = to_inbound(parsed_event("message_im_file_share"), user)
    assert (shared.attachments, shared.text) == (1, "Screenshot of the message")
    assert to_inbound(parsed_event("app_home_opened"), user).session_start
    command = to_inbound(parse_command(load("command")), user, conversation_key="slack:T/U")
    assert (command.conversation_key, command.value) == ("slack:T/U", "start:concern")


# Malformed payloads


def _without(body: dict[str, Any], *path: str | int) -> dict[str, Any]:
    """A copy of `body` without the field at `path` (keys, and indexes into lists)."""
    body = copy.deepcopy(body)
    parent: Any = body
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return body


@pytest.mark.parametrize(
    ("name", "path", "reason"),
    [
        ("message_im", ("event", "user"), "message without user"),
        ("message_im_file_share", ("event", "user"), "message without user"),
        ("message_im", ("event", "channel"), "message without channel"),
        ("message_im", ("event_id",), "envelope without event_id"),
        ("message_im", ("team_id",), "envelope without team_id"),
        ("message_im", ("event",), "envelope without event"),
        ("message_im", ("type",), "not an event_callback envelope"),
        ("app_home_opened", ("event", "user"), "app_home_opened without user"),
    ],
)
def test_malformed_events_raise(name: str, path: tuple[str, ...], reason: str) -> None:
    with pytest.raises(SlackPayloadError) as raised:
        parse_event(_without(load(name), *path))
    assert str(raised.value) == reason


@pytest.mark.parametrize(
    ("name", "path", "reason"),
    [
        ("block_actions_button", ("actions",), "block_actions without actions"),
        ("block_actions_button", ("user",), "block_actions without user"),
        ("block_actions_button", ("user", "id"), "block_actions user without id"),
        ("block_actions_button", ("actions", 0, "action_ts"), "action without action_ts"),
        ("block_actions_multi_done", ("state",), "multi_done without state"),
    ],
)
def test_malformed_actions_raise(name: str, path: tuple[str | int, ...], reason: str) -> None:
    with pytest.raises(SlackPayloadError) as raised:
        parse_action(_without(load(name), *path))
    assert str(raised.value) == reason


def test_actions_that_are_empty_raise() -> None:
    body = load("block_actions_button") | {"actions": []}
    with pytest.raises(SlackPayloadError, match="block_actions without actions"):
        parse_action(body)


def test_a_ticked_option_without_a_value_raises() -> None:
    body = load("block_actions_multi_done")
    del body["state"]["values"]["q:platforms:1"]["tick_1"]["selected_options"][0]["value"]
    with pytest.raises(SlackPayloadError, match="selected option without value"):
        parse_action(body)


def test_a_mistyped_field_raises() -> None:
    body = load("message_im")
    body["event"]["text"] = ["not", "a", "string"]
    with pytest.raises(SlackPayloadError, match="message text is not a string"):
        parse_event(body)


@pytest.mark.parametrize("field", ["user_id", "team_id", "command"])
def test_malformed_commands_raise(field: str) -> None:
    form = load("command")
    del form[field]
    with pytest.raises(SlackPayloadError, match=f"command without {field}"):
        parse_command(form)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"user": None}, "shortcut without user"),
        ({"type": "message_action"}, "not a global shortcut"),
        ({"callback_id": None}, "shortcut without callback_id"),
        ({"team": None, "user": {"id": USER}}, "payload without a team id"),
    ],
)
def test_malformed_shortcuts_raise(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(SlackPayloadError) as raised:
        parse_shortcut(load("shortcut_global") | change)
    assert str(raised.value) == reason


def test_error_reasons_never_quote_the_payload() -> None:
    body = load("message_im_escaped")
    body["event"]["text"] = {"secret": "pupil name"}
    with pytest.raises(SlackPayloadError) as raised:
        parse_event(body)
    assert "pupil" not in str(raised.value) and "Tom" not in str(raised.value)
