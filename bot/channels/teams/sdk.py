"""The Microsoft 365 Agents SDK, set up from our settings: the adapter that validates and answers
Bot Connector requests, and proactive turns for alerts.

The Bot Framework SDK for Python was archived at the end of 2025 (4.17.1, no more security
fixes); the Agents SDK is its successor, speaks the same Activity protocol and works with the same
Azure Bot registration. Everything of it that we use is imported in this package only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from microsoft_agents.activity import ConversationReference
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    ClaimsIdentity,
    TurnContext,
)
from microsoft_agents.hosting.core.authorization import AuthenticationConstants

from bot.settings import Settings

log = logging.getLogger(__name__)
Callback = Callable[[TurnContext], Awaitable[None]]


def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """Our TEAMS_* settings in the SDK's terms: a single-tenant client-secret app, whose tokens
    the SDK checks on every request (issuer, audience = our app id, signature, expiry)."""
    password = settings.teams_app_password
    return AgentAuthConfiguration(
        client_id=settings.teams_app_id,
        tenant_id=settings.teams_tenant_id,
        client_secret=password.get_secret_value() if password else None,
        anonymous_allowed=settings.teams_allow_anonymous,
        # Only the Bot Framework and our own tenant may issue tokens for us (the SDK checks
        # audience and signature always, the issuer only when asked).
        validate_issuer=True,
        connection_name="SERVICE_CONNECTION",
    )


def build_adapter(config: AgentAuthConfiguration) -> CloudAdapter:
    manager = MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": config})
    return CloudAdapter(connection_manager=manager)


async def continue_conversation(
    adapter: CloudAdapter, app_id: str | None, reference: Mapping[str, Any], callback: Callback
) -> None:
    """Run `callback` in the stored conversation, to message someone who did not write first.

    With an app id, the SDK gets a token for the Bot Connector from Microsoft Entra; with none
    (local testing against the Agents Playground) it sends unsigned, as the Playground expects.
    """
    activity = ConversationReference.model_validate(dict(reference)).get_continuation_activity()
    activity.id = None  # else what we send becomes a reply to this made-up activity
    if app_id:
        await adapter.continue_conversation(app_id, activity, callback)
        return
    await adapter.continue_conversation_with_claims(
        ClaimsIdentity(), activity, callback, audience=AuthenticationConstants.AGENTS_SDK_SCOPE
    )


def reference_of(context: TurnContext) -> dict[str, Any]:
    """The incoming activity's conversation reference, as JSON for the database."""
    reference = context.activity.get_conversation_reference()
    stored = reference.model_dump(mode="json", by_alias=True, exclude_none=True)
    # Without the message it came with: an alert is a message of its own, not a reply to
    # whatever the person last said.
    stored.pop("activityId", None)
    return stored
