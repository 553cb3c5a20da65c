"""The Slack app manifest (manifest/slack/manifest.yaml): Slack's rules, and the bot's needs.

Where the rules come from (checked when this file was written):

- Key names, required keys and length limits: Slack's own JSON schema for v1 manifests,
  github.com/slackapi/manifest-schema, schemas/manifest.schema.1.0.0.json (every object there is
  "additionalProperties": false, so an unknown or misspelt key is an error), and the reference
  page https://docs.slack.dev/reference/app-manifest.
- Scopes of Web API methods: https://docs.slack.dev/reference/scopes/chat.write (chat.postMessage,
  chat.update); https://api.slack.com/methods/conversations.open (the scope depends on the kind of
  conversation: im:write for a direct message); https://api.slack.com/scopes/users:read.email and
  https://docs.slack.dev/reference/methods/users.list ("users:read.email is required to access
  the email field in user objects returned by users.list and users.info", and it "must be
  requested at the same time as users:read"); views.publish and auth.test: "No scopes required".
- Scopes of events: github.com/slackapi/slack-api-specs, events-api/slack_events_api_asyncapi_v2
  .json (message.im: "x-scopes-required": ["im:history"]); https://api.slack.com/events/
  app_home_opened (no scope; the app needs a bot user).
- Slash commands and shortcuts both need the "commands" scope ("Add shortcuts and/or slash
  commands that people can use").

The scope table, SCOPES_FOR_METHOD, and the manifest's reading are in tests/slack/manifest.py,
which the tests of the bot in Slack use too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.slack.manifest import (
    SCOPES_FOR_METHOD,
    bot_scopes,
    load_manifest,
    scopes_needed_for,
)

# The one address Slack sends everything to in HTTP mode (events, interactivity, the command).
REQUEST_URL = "https://YOUR-BOT-HOST/slack/events"


# The methods the Slack channel is being built to call (the bot's planned Web API use).
PLANNED_CALLS = (
    "chat.postMessage",
    "chat.update",
    "conversations.open",
    "users.info",
    "users.lookupByEmail",
)

# Every event the manifest subscribes to, and the scopes Slack requires before it sends it.
SCOPES_FOR_EVENT: dict[str, frozenset[str]] = {
    "app_home_opened": frozenset(),
    "message.im": frozenset({"im:history"}),
}

# Scopes needed by a feature of the manifest rather than by a method or an event.
COMMANDS_SCOPE = "commands"  # slash_commands and shortcuts

# Allowed keys of each object we use, from manifest.schema.1.0.0.json (additionalProperties is
# false everywhere) and, for each, the keys that schema requires.
ALLOWED_KEYS: dict[str, frozenset[str]] = {
    "": frozenset(
        {
            "$schema",
            "_metadata",
            "app_directory",
            "display_information",
            "features",
            "oauth_config",
            "settings",
            "functions",
            "workflows",
            "datastores",
            "outgoing_domains",
            "types",
            "external_auth_providers",
        }
    ),
    "_metadata": frozenset({"schema_version", "min_version", "major_version", "minor_version"}),
    "display_information": frozenset(
        {"name", "description", "background_color", "long_description"}
    ),
    "features": frozenset(
        {
            "app_home",
            "bot_user",
            "functions",
            "shortcuts",
            "slash_commands",
            "workflow_steps",
            "unfurl_domains",
            "assistant_view",
        }
    ),
    "features.app_home": frozenset(
        {"home_tab_enabled", "messages_tab_enabled", "messages_tab_read_only_enabled"}
    ),
    "features.bot_user": frozenset({"display_name", "always_online"}),
    "features.slash_commands[]": frozenset(
        {"command", "url", "description", "usage_hint", "should_escape"}
    ),
    "features.shortcuts[]": frozenset({"name", "type", "callback_id", "description"}),
    "oauth_config": frozenset(
        {"redirect_urls", "scopes", "token_management_enabled", "pkce_enabled"}
    ),
    "oauth_config.scopes": frozenset({"user", "bot", "user_optional", "bot_optional"}),
    "settings": frozenset(
        {
            "allowed_ip_address_ranges",
            "event_subscriptions",
            "incoming_webhooks",
            "interactivity",
            "org_deploy_enabled",
            "socket_mode_enabled",
            "is_hosted",
            "token_rotation_enabled",
            "siws_links",
            "hermes_app_type",
            "function_runtime",
            "is_mcp_enabled",
        }
    ),
    "settings.event_subscriptions": frozenset(
        {"request_url", "user_events", "bot_events", "metadata_subscriptions"}
    ),
    "settings.interactivity": frozenset({"is_enabled", "request_url", "message_menu_options_url"}),
}
REQUIRED_KEYS: dict[str, frozenset[str]] = {
    "": frozenset({"display_information"}),
    "display_information": frozenset({"name"}),
    "features.bot_user": frozenset({"display_name"}),
    "features.slash_commands[]": frozenset({"command", "description"}),
    "features.shortcuts[]": frozenset({"name", "type", "callback_id", "description"}),
    "settings.interactivity": frozenset({"is_enabled"}),
}


def _section(manifest: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The object(s) at a dotted path; a trailing [] means every item of that list."""
    nodes: list[Any] = [manifest]
    if path:
        for part in path.split("."):
            name = part.removesuffix("[]")
            nodes = [node[name] for node in nodes if name in node]
            if part.endswith("[]"):
                nodes = [item for node in nodes for item in node]
    return nodes


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return load_manifest()


def test_the_manifest_is_a_yaml_mapping_with_every_part_the_bot_needs(
    manifest: dict[str, Any],
) -> None:
    assert set(manifest) >= {"display_information", "features", "oauth_config", "settings"}
    assert manifest["_metadata"]["major_version"] == 1


@pytest.mark.parametrize("path", sorted(ALLOWED_KEYS))
def test_every_key_is_one_slack_knows_and_required_keys_are_there(
    manifest: dict[str, Any], path: str
) -> None:
    objects = _section(manifest, path)
    assert objects, f"{path or 'the top level'} is missing"
    for obj in objects:
        assert isinstance(obj, dict), f"{path} must be a mapping"
        unknown = set(obj) - ALLOWED_KEYS[path]
        assert not unknown, f"{path}: keys Slack does not accept: {sorted(unknown)}"
        missing = REQUIRED_KEYS.get(path, frozenset()) - set(obj)
        assert not missing, f"{path}: keys Slack requires are missing: {sorted(missing)}"


def test_display_information_fits_slacks_limits(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert isinstance(info["name"], str)
    assert 1 <= len(info["name"]) <= 35
    assert isinstance(info["description"], str)
    # The schema's limit is 140; Slack has been reported to reject exactly 140
    # (mastra-ai/mastra#16093), so stay below it.
    assert 1 <= len(info["description"]) < 140
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", info["background_color"])
    # Optional, but when present Slack rejects anything shorter than 175 characters.
    assert isinstance(info["long_description"], str)
    assert 175 <= len(info["long_description"]) <= 4000


def test_the_bot_user_has_a_display_name(manifest: dict[str, Any]) -> None:
    bot_user = manifest["features"]["bot_user"]
    assert isinstance(bot_user["display_name"], str)
    assert 1 <= len(bot_user["display_name"]) <= 80
    assert isinstance(bot_user["always_online"], bool)


def test_app_home_has_the_home_tab_and_a_messages_tab_people_can_type_in(
    manifest: dict[str, Any],
) -> None:
    app_home = manifest["features"]["app_home"]
    assert app_home["home_tab_enabled"] is True
    assert app_home["messages_tab_enabled"] is True
    assert app_home["messages_tab_read_only_enabled"] is False


def test_the_slash_command(manifest: dict[str, Any]) -> None:
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/online-safety"
    assert command["command"].startswith("/")
    assert 2 <= len(command["command"]) <= 32
    assert " " not in command["command"]
    assert isinstance(command["description"], str)
    assert 1 <= len(command["description"]) <= 2000
    assert command["usage_hint"] == "report | filtering | cases | my reports | help"
    assert isinstance(command["should_escape"], bool)


def test_the_global_shortcut(manifest: dict[str, Any]) -> None:
    (shortcut,) = manifest["features"]["shortcuts"]
    assert shortcut["type"] == "global"
    assert shortcut["callback_id"] == "report_concern"
    assert isinstance(shortcut["name"], str)
    assert 1 <= len(shortcut["name"]) <= 24
    assert isinstance(shortcut["description"], str)
    assert 1 <= len(shortcut["description"]) <= 150
    assert "online-safety concern" in shortcut["description"]


def test_events_interactivity_and_the_command_share_one_https_request_url(
    manifest: dict[str, Any],
) -> None:
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    urls = {
        "event_subscriptions.request_url": settings["event_subscriptions"]["request_url"],
        "interactivity.request_url": settings["interactivity"]["request_url"],
        # The person picker's external_select asks for its options here (block_suggestion).
        "interactivity.message_menu_options_url": settings["interactivity"][
            "message_menu_options_url"
        ],
        "slash_commands[0].url": manifest["features"]["slash_commands"][0]["url"],
    }
    assert urls == dict.fromkeys(urls, REQUEST_URL)


def test_http_mode_by_default_with_a_fixed_bot_token(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    # Socket Mode is opt-in (docs/slack.md); the request URLs above are for HTTP mode.
    assert settings["socket_mode_enabled"] is False
    # The bot reads one SLACK_BOT_TOKEN and cannot refresh a rotating token.
    assert settings["token_rotation_enabled"] is False
    # One workspace install; no Enterprise Grid organisation-wide install.
    assert settings["org_deploy_enabled"] is False


def test_the_bot_subscribes_to_exactly_the_events_it_handles(manifest: dict[str, Any]) -> None:
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert len(events) == len(set(events))
    assert set(events) == {"app_home_opened", "message.im"}
    assert "user_events" not in manifest["settings"]["event_subscriptions"]


def test_every_bot_event_has_the_scope_slack_requires_for_it(manifest: dict[str, Any]) -> None:
    scopes = bot_scopes(manifest)
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        assert event in SCOPES_FOR_EVENT, f"add {event!r} to SCOPES_FOR_EVENT with its scopes"
        missing = SCOPES_FOR_EVENT[event] - scopes
        assert not missing, f"the {event} event needs the bot scopes {sorted(missing)}"


def test_the_planned_web_api_calls_are_in_the_scope_table() -> None:
    assert set(PLANNED_CALLS) <= set(SCOPES_FOR_METHOD)


@pytest.mark.parametrize("method", sorted(SCOPES_FOR_METHOD))
def test_every_web_api_method_the_bot_calls_is_covered_by_the_manifest(
    manifest: dict[str, Any], method: str
) -> None:
    missing = scopes_needed_for([method]) - bot_scopes(manifest)
    assert not missing, f"{method} needs the bot scopes {sorted(missing)}"


def test_the_command_and_the_shortcut_have_the_commands_scope(manifest: dict[str, Any]) -> None:
    assert manifest["features"]["slash_commands"]
    assert manifest["features"]["shortcuts"]
    assert COMMANDS_SCOPE in bot_scopes(manifest)


def test_the_manifest_asks_for_no_scope_the_bot_does_not_need(manifest: dict[str, Any]) -> None:
    requested = manifest["oauth_config"]["scopes"]["bot"]
    assert len(requested) == len(set(requested)), "a scope is listed twice"
    assert all(isinstance(scope, str) and len(scope) <= 50 for scope in requested)
    needed = scopes_needed_for(SCOPES_FOR_METHOD) | {COMMANDS_SCOPE}
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        needed |= SCOPES_FOR_EVENT[event]
    assert set(requested) == needed
    # No user-token scopes: the bot never acts as a person.
    assert set(manifest["oauth_config"]["scopes"]) == {"bot"}


def test_users_read_email_comes_with_users_read(manifest: dict[str, Any]) -> None:
    scopes = bot_scopes(manifest)
    assert "users:read.email" in scopes
    assert "users:read" in scopes


def test_an_unknown_method_is_reported_rather_than_assumed_to_need_nothing() -> None:
    with pytest.raises(ValueError, match=r"'conversations\.replies'.*SCOPES_FOR_METHOD"):
        scopes_needed_for(["chat.postMessage", "conversations.replies"])
    assert scopes_needed_for(["chat.postMessage", "chat.update"]) == {"chat:write"}
    assert scopes_needed_for([]) == set()
