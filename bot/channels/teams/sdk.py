"""The Microsoft 365 Agents SDK, set up from our settings: the adapter that validates and answers
Bot Connector requests, and proactive turns for alerts.

The Bot Framework SDK for Python was archived at the end of 2025 (4.17.1, no more security
fixes); the Agents SDK is its successor, speaks the same Activity protocol and works with the same
Azure Bot registration. Everything of it that we use is imported in this package only.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import ClientSession, TCPConnector
from microsoft_agents.activity import Activity, ConversationReference, RoleTypes
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    ClaimsIdentity,
    ConnectorClientBase,
    RestChannelServiceClientFactory,
    TurnContext,
)
from microsoft_agents.hosting.core.authorization import AuthenticationConstants
from microsoft_agents.hosting.core.connector.client import connector_client, user_token_client
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from bot.settings import Settings

log = logging.getLogger(__name__)
Callback = Callable[[TurnContext], Awaitable[None]]

# The SDK works out its User-Agent (its version, through importlib.metadata, which reads the
# installed packages' folders) every time it makes a client: two a turn, 0.8-0.9 ms of a Teams
# activity's CPU. The answer cannot change while the process runs, so it is worked out once.
_product_info = functools.cache(connector_client.get_product_info)  # type: ignore[attr-defined]
connector_client.get_product_info = _product_info  # type: ignore[attr-defined]
user_token_client.get_product_info = _product_info  # type: ignore[attr-defined]


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


class PooledClientFactory(RestChannelServiceClientFactory):
    """The SDK's factory of Bot Connector clients, their connections kept between turns.

    The SDK makes each turn's client a session, and so a connection (TCP, and TLS to Teams),
    of its own and closes it when the turn ends: every reply paid a new connection. Here the
    clients share one pool of keep-alive connections; each still carries its own turn's token
    (got as the SDK gets it) and is closed as the SDK closes it, leaving the pool open."""

    def __init__(self, manager: MsalConnectionManager) -> None:
        super().__init__(manager)
        self._pool: TCPConnector | None = None

    async def create_connector_client(
        self,
        context: TurnContext | None,
        claims_identity: ClaimsIdentity,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> ConnectorClientBase:
        activity = context.activity if context is not None else None
        if (
            not service_url
            or not audience
            or (activity is not None and activity.is_agentic_request())
            or (activity is not None and _recipient_role(activity) == RoleTypes.connector_user)
        ):  # the SDK's own way: its checks, agentic tokens, the Copilot Studio client
            return await super().create_connector_client(
                context, claims_identity, service_url, audience, scopes, use_anonymous
            )
        provider = (
            self._ANONYMOUS_TOKEN_PROVIDER
            if use_anonymous
            else self._connection_manager.get_token_provider(claims_identity, service_url)
        )
        token = await provider.get_access_token(
            audience, scopes or claims_identity.get_token_scope()
        )
        endpoint = service_url if service_url.endswith("/") else service_url + "/"
        session = ClientSession(base_url=endpoint, connector=self.pool(), connector_owner=False)
        return TeamsConnectorClient(endpoint=endpoint, token=token or "", session=session)

    def pool(self) -> TCPConnector:
        if self._pool is None or self._pool.closed:
            self._pool = TCPConnector()
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def _recipient_role(activity: Activity) -> str | None:
    return activity.recipient.role if activity.recipient is not None else None


def build_adapter(config: AgentAuthConfiguration) -> tuple[CloudAdapter, PooledClientFactory]:
    manager = MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": config})
    factory = PooledClientFactory(manager)
    return CloudAdapter(channel_service_client_factory=factory), factory


async def continue_conversation(
    adapter: CloudAdapter, app_id: str | None, reference: Mapping[str, Any], callback: Callback
) -> None:
    """Run `callback` in the stored conversation, to message someone who did not write first;
    whatever `callback` raises is raised here.

    With an app id, the SDK gets a token for the Bot Connector from Microsoft Entra; with none
    (local testing against the Agents Playground) it sends unsigned, as the Playground expects.

    The SDK runs the callback as a turn and hands anything it raises to the adapter's
    `on_turn_error` (ChannelAdapter.run_pipeline), which returns normally: a refused send would
    look delivered. So the error is kept here and raised again once the SDK is done.
    """
    activity = ConversationReference.model_validate(dict(reference)).get_continuation_activity()
    activity.id = None  # else what we send becomes a reply to this made-up activity
    failed: list[Exception] = []

    async def guarded(context: TurnContext) -> None:
        try:
            await callback(context)
        except Exception as error:
            failed.append(error)

    if app_id:
        await adapter.continue_conversation(app_id, activity, guarded)
    else:
        await adapter.continue_conversation_with_claims(
            ClaimsIdentity(), activity, guarded, audience=AuthenticationConstants.AGENTS_SDK_SCOPE
        )
    if failed:
        raise failed[0]


async def post_new(context: TurnContext, activity: Activity) -> str | None:
    """Post `activity` as a new message in the context's conversation; the id Teams gave it.

    Not TurnContext.send_activity: the SDK sets the id of every outgoing activity to None and
    its send_to_conversation serialises set fields even when null, so the body would carry
    `"id": null`, which the Agents Playground refuses (400 BadArgument). Here the body holds
    only the fields that have a value.
    """
    outgoing = _outgoing(context, activity)
    response = await _connector(context).conversations.send_to_conversation(
        outgoing.conversation.id, outgoing
    )
    return response.id if response else None


async def replace(context: TurnContext, activity_id: str, activity: Activity) -> None:
    """Replace the message `activity_id` of the context's conversation (a card update)."""
    outgoing = _outgoing(context, activity)
    outgoing.id = activity_id
    await _connector(context).conversations.update_activity(
        outgoing.conversation.id, activity_id, outgoing
    )


def _outgoing(context: TurnContext, activity: Activity) -> Activity:
    addressed = activity.model_copy(deep=True)
    addressed.apply_conversation_reference(context.activity.get_conversation_reference())
    body = addressed.model_dump(mode="json", by_alias=True, exclude_none=True)
    return Activity.model_validate(body)


def _connector(context: TurnContext) -> Any:
    client = context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
    if client is None:
        raise RuntimeError("the SDK gave this turn no Bot Connector client")
    return client


def reference_of(context: TurnContext) -> dict[str, Any]:
    """The incoming activity's conversation reference, as JSON for the database."""
    reference = context.activity.get_conversation_reference()
    stored = reference.model_dump(mode="json", by_alias=True, exclude_none=True)
    # Without the message it came with: an alert is a message of its own, not a reply to
    # whatever the person last said. Nor the id the SDK gave the request it came in (a new
    # uuid every time, for tracing that request): it would make every message a new reference.
    stored.pop("activityId", None)
    stored.pop("requestId", None)
    return stored
