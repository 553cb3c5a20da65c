"""The Slack app manifest (manifest/slack/manifest.yaml) as the tests read it, and the table of
the scopes each Slack Web API method the bot calls needs (where they come from: the docstring
of tests/slack/test_manifest.py). A test of the bot in Slack can check that every method it saw
called is covered: `scopes_needed_for(methods) <= bot_scopes(load_manifest())`. A method missing
from the table fails loudly, so whoever adds a call also adds its scope here and in the manifest.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

MANIFEST_PATH = Path(__file__).resolve().parents[2] / "manifest" / "slack" / "manifest.yaml"


# Every Slack Web API method the Slack channel calls, and the bot-token scopes it needs *as the
# bot calls it*. users.info is called to read the user's e-mail, hence users:read.email as well.
SCOPES_FOR_METHOD: dict[str, frozenset[str]] = {
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    # Only ever a 1:1 direct message; a group DM would need mpim:write instead.
    "conversations.open": frozenset({"im:write"}),
    # Before an alert is sent again, the DM is read back for it (its outbox row is in the
    # message's metadata): docs.slack.dev/reference/methods/conversations.history, bot token,
    # "im:history" for a direct message.
    "conversations.history": frozenset({"im:history"}),
    "users.info": frozenset({"users:read", "users:read.email"}),
    # Finding the DSL's Slack account from the e-mail in the school configuration, for alerts
    # (docs.slack.dev/reference/methods/users.lookupByEmail: "Requires users:read.email").
    "users.lookupByEmail": frozenset({"users:read.email"}),
    # The Home tab (home_tab_enabled) is published with views.publish.
    "views.publish": frozenset(),
    # Bolt checks the token with auth.test when it starts.
    "auth.test": frozenset(),
    # The self-audit's audience: the workspace's members with their e-mails
    # (docs.slack.dev/reference/methods/users.list: users:read, and users:read.email for e-mail),
    # or only a user group's (usergroups.users.list: usergroups:read).
    "users.list": frozenset({"users:read", "users:read.email"}),
    "usergroups.users.list": frozenset({"usergroups:read"}),
    # The self-audit's chart and CSV, uploaded into the DSL's DM with Slack's external upload
    # flow (docs.slack.dev/reference/methods/files.getUploadURLExternal and
    # files.completeUploadExternal: files:write). The POST to the upload URL needs no scope.
    "files.getUploadURLExternal": frozenset({"files:write"}),
    "files.completeUploadExternal": frozenset({"files:write"}),
}


def load_manifest() -> dict[str, Any]:
    """The manifest as Slack will read it (it accepts YAML or JSON)."""
    data = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{MANIFEST_PATH} must be a YAML mapping"
    return data


def bot_scopes(manifest: dict[str, Any]) -> set[str]:
    """The bot-token scopes the manifest asks for."""
    return set(manifest["oauth_config"]["scopes"]["bot"])


def scopes_needed_for(methods: Iterable[str]) -> set[str]:
    """The scopes the bot token needs to call these Web API methods."""
    needed: set[str] = set()
    for method in methods:
        if method not in SCOPES_FOR_METHOD:
            raise ValueError(
                f"the bot calls the Slack Web API method {method!r}, which is not in "
                "SCOPES_FOR_METHOD (tests/slack/manifest.py): add it with the scopes "
                "Slack documents for it, and add those scopes to manifest/slack/manifest.yaml"
            )
        needed |= SCOPES_FOR_METHOD[method]
    return needed
