"""The Teams parser, on stored activities shaped like those Teams sends (tests/teams/payloads/)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.channels.teams.parse import (
    TeamsInput,
    TeamsPayloadError,
    file_context,
    parse_activity,
    submitted_value,
    to_inbound,
)
from bot.delivery.messages import FileSource, User

PAYLOADS = Path(__file__).parent / "payloads"
USER = "29:1kXq7bR3tUvW9yZ0aB2cD4eF6gH8iJ0kL2mN4oP6qR8sT0uV2wX4yZ6aB8cD0eF2gH4iJ6kL8mN0oP2qR4sT6uV"
AAD = "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
BOT = "28:4b0f7f0e-9a2c-4c1d-8e3f-5a6b7c8d9e0f"
CONVERSATION = (
    "a:1Xy7kQw2ErT9uIo3PaS4dFg5Hj6Kl7Zx8Cv9Bn0Mq1We2Rt3Yu4Io5Pa6Sd7Fg8Hj9Kl0"
    "Zx1Cv2Bn3Mq4We5Rt6Yu7Io8"
)
TENANT = "3c1d8f2a-6b4e-4a7d-9e0f-1a2b3c4d5e6f"
SERVICE_URL = "https://smba.trafficmanager.net/uk/"


def load(name: str) -> dict[str, Any]:
    activity: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return activity


def parsed(name_or_activity: str | dict[str, Any]) -> TeamsInput:
    activity = load(name_or_activity) if isinstance(name_or_activity, str) else name_or_activity
    item = parse_activity(activity)
    assert item is not None
    return item


def is_key(message_id: str) -> bool:
    return message_id.startswith("teams:") and len(message_id) == len("teams:") + 64


# Messages


def test_a_message_is_the_persons_text_with_what_the_reply_needs() -> None:
    item = parsed("message_text")
    assert (item.kind, item.text, item.value, item.values, item.attachments) == (
        "message",
        "A Year 9 pupil showed me a group chat where someone is being bullied",
        None,
        None,
        0,  # the text/html copy Teams adds is not a file
    )
    assert (item.activity_id, item.user_id, item.aad_object_id, item.user_name) == (
        "1764066660441",
        USER,
        AAD,
        "Tom Brannigan",
    )
    assert (item.conversation_id, item.tenant_id, item.service_url) == (
        CONVERSATION,
        TENANT,
        SERVICE_URL,
    )
    assert (item.bot_id, item.bot_name, item.reply_to_id) == (BOT, "Online Safety", None)
    assert is_key(item.message_id)


def test_the_same_message_delivered_again_has_the_same_key_and_another_message_another() -> None:
    assert parsed("message_text").message_id == parsed("message_text").message_id
    other = load("message_text") | {"id": "1764066660999"}
    assert parsed(other).message_id != parsed("message_text").message_id


def test_the_bots_mention_is_taken_out() -> None:
    assert parsed("message_mention").text == "report"


def test_another_persons_mention_is_left_as_their_name() -> None:
    activity = load("message_mention")
    activity["text"] = "<at>Online Safety</at> tell <at>Alice Hartley</at> please"
    activity["entities"].append(
        {
            "type": "mention",
            "mentioned": {"id": "29:1other", "name": "Alice Hartley"},
            "text": "<at>Alice Hartley</at>",
        }
    )
    assert parsed(activity).text == "tell Alice Hartley please"


def test_text_is_kept_as_seen_however_long_and_whatever_it_holds() -> None:
    """Teams' HTML becomes what was seen (tests/teams/test_teams_markup.py); markdown stays."""
    typed = "  **bold** [link](http://evil.example) &amp; <b>x</b>\n" + "y" * 20_000
    activity = load("message_text") | {"text": typed}
    seen = "**bold** [link](http://evil.example) & x\n" + "y" * 20_000
    assert parsed(activity).text == seen  # limits are the dialogs' business


def test_a_file_is_counted_and_its_caption_kept() -> None:
    item = parsed("message_file")
    assert (item.kind, item.attachments, item.text) == ("message", 1, "Screenshot of the messages")


def test_a_pasted_image_without_text_is_counted() -> None:
    item = parsed("message_image")
    assert (item.kind, item.attachments, item.text) == ("message", 1, "")


def test_cards_in_a_message_are_not_files() -> None:
    activity = load("message_text")
    activity["attachments"].append(
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": {}}
    )
    assert parsed(activity).attachments == 0


# Card buttons (Action.Submit)


def test_a_button_is_its_value() -> None:
    item = parsed("action_button")
    assert (item.kind, item.value, item.values, item.text) == (
        "action",
        "start:concern",
        None,
        None,
    )
    assert (item.reply_to_id, item.activity_id) == ("1764066690277", "1764066702118")
    assert is_key(item.message_id)


def test_a_double_click_on_a_question_button_counts_once() -> None:
    first = parsed("action_button")
    again = parsed(load("action_button") | {"id": "1764066702999"})  # a second click
    assert first.message_id == again.message_id


def test_another_button_or_another_card_is_another_delivery() -> None:
    first = parsed("action_button")
    other_button = load("action_button")
    other_button["value"] = {"os": 1, "v": "start:filtering"}
    other_card = load("action_button") | {"replyToId": "1764066799999"}
    assert parsed(other_button).message_id != first.message_id
    assert parsed(other_card).message_id != first.message_id


def test_a_case_button_pressed_again_is_a_new_delivery() -> None:
    activity = load("action_button")
    activity["value"] = {"os": 1, "v": "case:view:42"}
    first = parsed(activity)
    again = parsed(activity | {"id": "1764066702999"})
    assert first.value == "case:view:42"
    assert first.message_id != again.message_id
    assert parsed(activity).message_id == first.message_id  # the same delivery twice


def test_done_gives_the_ticked_values_in_order() -> None:
    item = parsed("action_multi_done")
    assert (item.kind, item.value, item.values, item.text) == (
        "action",
        None,
        ("snapchat", "roblox"),
        None,
    )


@pytest.mark.parametrize("ticked", ["", None])
def test_done_with_nothing_ticked_gives_no_values(ticked: str | None) -> None:
    activity = load("action_multi_done")
    if ticked is None:
        del activity["value"]["os_ticked"]
    else:
        activity["value"]["os_ticked"] = ticked
    assert parsed(activity).values == ()


def test_a_double_click_on_done_counts_once() -> None:
    activity = load("action_multi_done")
    again = copy.deepcopy(activity) | {"id": "1764066811999"}
    assert parsed(activity).message_id == parsed(again).message_id


@pytest.mark.parametrize(
    "value",
    [
        {"action": "approve"},  # another app's card
        {"os": 2, "v": "start:concern"},  # a version of ours this code does not know
        {"os": 1},  # ours, but neither a button nor a Done
        {"os": True, "v": "start:concern"},  # true is not 1
    ],
)
def test_a_submit_not_from_our_cards_is_ignored(value: dict[str, Any]) -> None:
    assert parse_activity(load("action_button") | {"value": value}) is None


def test_submitted_value_reads_our_data() -> None:
    assert submitted_value({"os": 1, "v": "__back"}) == "__back"
    assert submitted_value({"os": 1, "multi": "platforms"}) is None
    assert submitted_value({"v": "__back"}) is None


# Install and uninstall


def test_adding_the_bot_is_an_install() -> None:
    item = parsed("conversation_update_install")
    assert (item.kind, item.text, item.value) == ("install", None, None)
    assert (item.user_id, item.conversation_id, item.tenant_id) == (USER, CONVERSATION, TENANT)
    assert item.user_name == ""  # Teams leaves the name out here


def test_the_two_activities_of_one_install_count_once() -> None:
    update = parsed("conversation_update_install")
    installation = parsed("installation_update_add")
    assert installation.kind == "install"
    assert update.message_id == installation.message_id
    next_day = load("installation_update_add") | {"timestamp": "2026-12-03T09:00:00.000Z"}
    assert parsed(next_day).message_id != installation.message_id


def test_removing_the_bot_is_an_uninstall() -> None:
    assert parsed("installation_update_remove").kind == "uninstall"
    activity = load("conversation_update_install")
    activity["membersRemoved"] = activity.pop("membersAdded")
    assert parsed(activity).kind == "uninstall"


@pytest.mark.parametrize("action", ["add-upgrade", "remove-upgrade", None])
def test_upgrades_are_ignored(action: str | None) -> None:
    activity = load("installation_update_add")
    activity["action"] = action
    assert parse_activity(activity) is None


def test_another_member_added_is_ignored() -> None:
    activity = load("conversation_update_install")
    activity["membersAdded"] = [{"id": USER, "aadObjectId": AAD}]
    assert parse_activity(activity) is None


# Ignored activities


@pytest.mark.parametrize("name", ["message_group_chat", "typing"])
def test_group_chats_and_typing_are_ignored(name: str) -> None:
    assert parse_activity(load(name)) is None


@pytest.mark.parametrize("kind", ["messageReaction", "invoke", "event", "messageUpdate"])
def test_other_activity_types_are_ignored(kind: str) -> None:
    assert parse_activity(load("message_text") | {"type": kind}) is None


@pytest.mark.parametrize("conversation_type", ["channel", "groupChat"])
def test_only_personal_chats_are_served(conversation_type: str) -> None:
    activity = load("message_text")
    activity["conversation"]["conversationType"] = conversation_type
    assert parse_activity(activity) is None


@pytest.mark.parametrize("channel_id", ["emulator", "webchat", "slack", "msteams:COPILOT"])
def test_only_the_teams_channel_is_served(channel_id: str) -> None:
    assert parse_activity(load("message_text") | {"channelId": channel_id}) is None


def test_an_ignored_type_needs_nothing_else() -> None:
    assert parse_activity({"type": "typing", "channelId": "msteams"}) is None


# The answer to a file consent card


def test_allow_on_a_file_consent_card_is_where_to_put_the_file() -> None:
    item = parsed("file_consent_accept")
    assert (item.kind, item.user_id, item.conversation_id) == ("file_consent", USER, CONVERSATION)
    assert is_key(item.message_id) and (item.text, item.value) == (None, None)
    consent = item.consent
    assert consent is not None and consent.accepted
    assert consent.source == FileSource("audit_csv", 3)
    upload = consent.upload
    assert upload is not None
    assert upload.upload_url.startswith("https://example-school-my.sharepoint.com/")
    assert upload.content_url.endswith("/online-safety-audit-2026-27.csv")
    assert (upload.name, upload.file_type) == ("online-safety-audit-2026-27.csv", "csv")
    assert upload.unique_id == "8E1C2D3F-4A5B-4C6D-8E7F-9A0B1C2D3E4F"
    assert "tempauth" not in repr(item)  # the pre-authorised upload URL is never logged


def test_decline_on_a_file_consent_card_has_nowhere_to_put_it() -> None:
    consent = parsed("file_consent_decline").consent
    assert consent is not None and not consent.accepted
    assert (consent.source, consent.upload) == (FileSource("audit_csv", 3), None)


def test_the_context_names_the_file_and_nothing_of_what_it_holds() -> None:
    assert file_context(FileSource("audit_csv", 12)) == {"os": 1, "file": "audit_csv", "id": 12}
    chronology = FileSource("case_chronology", 42)
    assert file_context(chronology) == {"os": 1, "file": "case_chronology", "id": 42}


@pytest.mark.parametrize(
    ("context", "source"),
    [
        ({"os": 1, "file": "case_chronology", "id": 42}, FileSource("case_chronology", 42)),
        # A self-audit's card offered before "id" replaced "campaign_id": still its campaign.
        ({"os": 1, "file": "audit_csv", "campaign_id": 3}, FileSource("audit_csv", 3)),
    ],
)
def test_a_context_names_the_file_it_offered(context: Any, source: FileSource) -> None:
    activity = load("file_consent_accept")
    activity["value"]["context"] = context
    consent = parsed(activity).consent
    assert consent is not None and consent.source == source


@pytest.mark.parametrize(
    "context",
    [
        None,
        "audit_csv:3",
        {"file": "audit_csv", "id": 3},  # not marked as ours
        {"os": 2, "file": "audit_csv", "id": 3},
        {"os": 1, "file": "report_export", "id": 3},
        {"os": 1, "file": "audit_csv", "id": "3"},
        {"os": 1, "file": "audit_csv", "id": True},
        {"os": 1, "file": "case_chronology", "campaign_id": 3},  # only "id" names a case
        {"os": 1, "file": "case_chronology", "id": None},
    ],
)
def test_a_context_that_is_not_ours_names_no_file(context: Any) -> None:
    activity = load("file_consent_accept")
    activity["value"]["context"] = context
    consent = parsed(activity).consent
    assert consent is not None and consent.accepted and consent.source is None


@pytest.mark.parametrize("name", ["composeExtension/query", "adaptiveCard/action", None])
def test_other_invokes_are_ignored(name: str | None) -> None:
    assert parse_activity(load("file_consent_accept") | {"name": name}) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"value": None}, "invoke without value"),
        ({"value": {"action": "maybe"}}, "fileConsent action is neither accept nor decline"),
        ({"value": {"action": "accept", "context": {}}}, "fileConsent without uploadInfo"),
        (
            {"value": {"action": "accept", "uploadInfo": {"uploadUrl": "https://x/"}}},
            "uploadInfo without contentUrl",
        ),
    ],
)
def test_a_malformed_file_consent_raises(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(TeamsPayloadError) as raised:
        parse_activity(load("file_consent_accept") | change)
    assert str(raised.value) == reason


# Into the router's message


def test_to_inbound_carries_what_the_router_reads() -> None:
    user = User(platform_id=USER, email="t.brannigan@example.org", display_name="Tom Brannigan")
    done = to_inbound(parsed("action_multi_done"), user)
    assert done.channel == "teams"
    assert done.conversation_key == "t.brannigan@example.org"
    assert (done.values, done.value, done.text) == (("snapchat", "roblox"), None, None)
    assert done.message_id == parsed("action_multi_done").message_id
    assert not done.session_start
    shared = to_inbound(parsed("message_file"), user)
    assert (shared.attachments, shared.text) == (1, "Screenshot of the messages")
    assert to_inbound(parsed("installation_update_add"), user).session_start
    assert not to_inbound(parsed("installation_update_remove"), user).session_start


# Malformed activities


def _without(activity: dict[str, Any], *path: str) -> dict[str, Any]:
    activity = copy.deepcopy(activity)
    parent: Any = activity
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return activity


@pytest.mark.parametrize(
    ("name", "path", "reason"),
    [
        ("message_text", ("from",), "activity without from"),
        ("message_text", ("from", "id"), "from without id"),
        ("message_text", ("conversation",), "activity without conversation"),
        ("message_text", ("conversation", "id"), "conversation without id"),
        ("message_text", ("serviceUrl",), "activity without serviceUrl"),
        ("message_text", ("recipient", "id"), "recipient without id"),
        ("message_text", ("id",), "activity without id"),
        ("message_text", ("type",), "activity without type"),
        ("message_text", ("channelId",), "activity without channelId"),
        ("action_button", ("from", "id"), "from without id"),
        ("installation_update_add", ("conversation", "id"), "conversation without id"),
        ("conversation_update_install", ("serviceUrl",), "activity without serviceUrl"),
    ],
)
def test_malformed_activities_raise(name: str, path: tuple[str, ...], reason: str) -> None:
    with pytest.raises(TeamsPayloadError) as raised:
        parse_activity(_without(load(name), *path))
    assert str(raised.value) == reason


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"text": ["not", "text"]}, "message text is not a string"),
        ({"attachments": {"contentType": "image/png"}}, "message attachments is not a list"),
        ({"attachments": ["image"]}, "message attachment is not an object"),
        ({"serviceUrl": "javascript:alert(1)"}, "activity serviceUrl is not a URL"),
        ({"channelData": "tenant"}, "activity channelData is not an object"),
    ],
)
def test_mistyped_fields_raise(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(TeamsPayloadError) as raised:
        parse_activity(load("message_text") | change)
    assert str(raised.value) == reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"os": 1, "multi": ["platforms"]}, "action multi is not a string"),
        ({"os": 1, "multi": "platforms", "os_ticked": ["a", "b"]}, "action ticked values"),
        ({"os": 1, "v": 42}, "action v is not a string"),
    ],
)
def test_mistyped_card_data_raises(value: dict[str, Any], reason: str) -> None:
    with pytest.raises(TeamsPayloadError, match=reason):
        parse_activity(load("action_button") | {"value": value})


def test_a_conversation_update_with_a_mistyped_member_list_raises() -> None:
    activity = load("conversation_update_install") | {"membersAdded": {"id": BOT}}
    with pytest.raises(TeamsPayloadError, match="membersAdded is not a list"):
        parse_activity(activity)


def test_error_reasons_never_quote_the_activity() -> None:
    secret = "AB (Year 5) sent the pictures"
    cases = [
        load("message_text") | {"text": {"secret": secret}},
        load("message_text") | {"serviceUrl": secret},
        load("action_button") | {"value": {"os": 1, "v": [secret]}},
        load("action_button") | {"value": {"os": 1, "multi": "s", "os_ticked": [secret]}},
        load("message_text") | {"from": {"name": secret}},
    ]
    for activity in cases:
        with pytest.raises(TeamsPayloadError) as raised:
            parse_activity(activity)
        assert "Year" not in str(raised.value) and "pictures" not in str(raised.value)


def test_a_non_object_raises() -> None:
    with pytest.raises(TeamsPayloadError, match="activity is not an object"):
        parse_activity(["message"])  # type: ignore[arg-type]
