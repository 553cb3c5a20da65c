"""The Teams channel: POST /api/messages, its token checked (auth.py, with the SDK's JWT
validation) and its activity's shape (validate.py) before the SDK sees it, around the same
router as every channel. The turn runs within the request (Teams waits up to 15 s; a turn takes
milliseconds), and its replies go back through the Bot Connector.

The answer to a file consent card (an invoke) does not go to the router: its invoke response,
200, is set first, so that it goes back with the request's answer whatever follows (without
one Teams shows the person an error), and bot/channels/teams/file_consent.py handles it,
replying in the chat."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Sequence
from contextvars import ContextVar
from functools import partial
from typing import Any

from aiohttp import web
from microsoft_agents.activity import Activity, ActivityTypes, InvokeResponse
from microsoft_agents.hosting.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.services import OneSchool, Schools, Services
from bot.channels.teams.auth import Refused, authenticate
from bot.channels.teams.cards import Json
from bot.channels.teams.file_consent import FileConsents, not_saved
from bot.channels.teams.identity import TeamsDirectory, UnknownTeamsUser
from bot.channels.teams.notifier import TeamsNotifier
from bot.channels.teams.parse import (
    CHANNEL,
    FileConsent,
    TeamsInput,
    TeamsPayloadError,
    parse_activity,
    to_inbound,
)
from bot.channels.teams.people import search_response
from bot.channels.teams.render import render_answered, render_turn
from bot.channels.teams.sdk import auth_configuration, build_adapter, reference_of
from bot.channels.teams.sending import Sender
from bot.channels.teams.validate import activity_problem, quieten_sdk_validation
from bot.delivery import addresses
from bot.delivery.channel import Capabilities, StaffContact
from bot.delivery.messages import Answered, Notice, Option, Outbound, User
from bot.school.config import HANDLER_ROLES
from bot.settings import Settings
from bot.words import strings
from storage.scope import in_address_book

log = logging.getLogger(__name__)
MESSAGES_PATH = "/api/messages"
_TOKEN_CLIENT_LOGGER = "microsoft_agents.hosting.core.connector.client.user_token_client"  # noqa: S105
TOO_LARGE = "The activity is too large for this bot to take."
NOT_JSON = "The body is not JSON."
SDK_FAILED = "The bot could not take this activity just now; try again later."
# What failed in the turn being answered (the SDK reports it through on_turn_error, not to us).
_TURN_FAILURES: ContextVar[list[str] | None] = ContextVar("teams_turn_failures", default=None)


class TeamsChannel:
    name = CHANNEL
    # A file is offered with a consent card and made again when allowed: not with the replies.
    capabilities = Capabilities(files_with_replies=False)

    def __init__(
        self, *, settings: Settings, services: Services, schools: Schools | None = None
    ) -> None:
        """`services`: the address book (its sessions) and the people the channel knows (its
        school); `schools`: which school each turn goes to (a trust's desk; by default the one
        school of `services`)."""
        self.services = services
        self.schools: Schools = schools or OneSchool(services)
        self.school = services.school
        self.app_id = settings.teams_app_id
        # Files only when the app package says supportsFiles (TEAMS_FILES=true make teams-package)
        self.send_files = settings.teams_files
        self.config = auth_configuration(settings)
        self.adapter, self.clients = build_adapter(self.config)
        # The SDK's default sends the exception's text to the user; ours says sorry, and the
        # log has the error's type only (its text may quote what someone wrote).
        self.adapter.on_turn_error = self._on_turn_error
        quieten_sdk_validation()
        self.sender = Sender()
        self.directory = TeamsDirectory(services.sessions, services.clock, self.sender)
        self.files = FileConsents(self.schools)
        self.notifier = TeamsNotifier(
            adapter=self.adapter,
            app_id=self.app_id,
            sessions=services.sessions,
            sender=self.sender,
            clock=services.clock,
        )
        self._background: set[asyncio.Task[int]] = set()
        if not self.app_id:
            # Without an app id (the Playground) the SDK warns on every turn that it has none.
            logging.getLogger(_TOKEN_CLIENT_LOGGER).setLevel(logging.ERROR)
        if settings.teams_allow_anonymous:
            log.warning(
                "TEAMS_ALLOW_ANONYMOUS is on: %s accepts requests WITHOUT a Bot Framework token. "
                "For local testing only (HOST is %s); never on a server others can reach.",
                MESSAGES_PATH,
                settings.host,
            )

    async def staff(self, session: AsyncSession) -> list[StaffContact]:
        """Everyone Teams can reach (who installed the app): whom the self-audit asks. In a
        trust's deployment, from the trust's address book (the school's self-audit keeps to
        its own people: bot.school_parts.SchoolStaff)."""
        with in_address_book(session):
            reachable = await addresses.everyone_reachable(session, CHANNEL)
        return [
            StaffContact(a.email or "", a.display_name or a.email or "", CHANNEL) for a in reachable
        ]

    def add_routes(self, app: web.Application) -> None:
        # The token check guards this one route, not the web chat's or Slack's (which have
        # their own checks).
        app.router.add_post(MESSAGES_PATH, self.messages)

    async def messages(self, request: web.Request) -> web.StreamResponse:
        """The token, then the body's size and shape, then the SDK's turn: nothing of a request
        that fails a check reaches the SDK, and no check answers with a traceback."""
        try:
            identity = await authenticate(request, self.config)
        except Refused as refused:
            log.warning("refused a request to %s: %s", MESSAGES_PATH, refused.reason)
            return refused.response()
        with warnings.catch_warnings():  # the SDK looks the claims up by this string key
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            request["claims_identity"] = identity
        try:
            # The same read and parse as the SDK's (aiohttp's request.json(), which keeps the
            # body), so what it parses next is what was checked here.
            body = await request.json()
        except web.HTTPRequestEntityTooLarge:
            return _refuse(413, TOO_LARGE, "too large")
        except (ValueError, LookupError, RecursionError):  # UnicodeDecodeError is a ValueError
            return _refuse(400, NOT_JSON, "not JSON")
        if problem := activity_problem(body):
            return _refuse(400, problem[:1].upper() + problem[1:] + ".", problem)
        return await self._turn(request)

    async def _turn(self, request: web.Request) -> web.StreamResponse:
        failures: list[str] = []
        token = _TURN_FAILURES.set(failures)
        try:
            response = await self.adapter.process(request, self)
        except Exception as error:
            # Before the turn: the SDK could not get the token it replies with (Microsoft
            # Entra out of reach) or build its connector. Ours to fix, and the Bot Connector
            # retries; the log has the error's type only, as for a failed turn.
            log.error("Teams request failed in the SDK: %s", type(error).__name__)
            return web.json_response({"error": SDK_FAILED}, status=502)
        finally:
            _TURN_FAILURES.reset(token)
        if failures:
            # The SDK would answer 202 as if the turn went well; a reply that Teams refused did
            # not reach the person, and Teams (and its logs) should hear so.
            return web.Response(status=502)
        return response if response is not None else web.Response(status=202)

    async def on_turn(self, context: TurnContext) -> None:
        """Called by the adapter for every activity that passed the token check."""
        payload = context.activity.model_dump(mode="json", by_alias=True, exclude_none=True)
        try:
            item = parse_activity(payload)
        except TeamsPayloadError as error:
            log.warning("ignored a Teams activity: %s", error)
            return
        if item is None:
            return
        reference = reference_of(context)
        if item.kind == "uninstall":
            await self.directory.forget(item, reference, day=str(payload.get("timestamp", ""))[:10])
            return
        if item.kind == "search":
            await self._answer_search(context, item, reference)
            return
        if item.kind == "file_consent":
            await context.send_activity(
                Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200))
            )
        try:
            user, came_back = await self.directory.user(context, item, reference)
        except UnknownTeamsUser:
            await self._send(context, item, [Notice(strings.TEAMS_WHO_ARE_YOU, "error")])
            return
        if item.consent is not None:
            await self._answer_consent(context, item, item.consent, user)
            return
        try:
            replies = await self.schools.handle(to_inbound(item, user))
        except Exception as error:
            log.error("Teams turn failed: %s", type(error).__name__)
            await self._send(context, item, [Notice(strings.TEAMS_FAILED, "error")])
            return
        if any(not isinstance(r, Answered) for r in replies):
            await self._send(context, item, replies)
        for answered in (r for r in replies if isinstance(r, Answered)):  # the reply first
            await self._take_buttons_away(context, item, answered)
        if came_back:
            # Deliver at once what waited for someone who became reachable again, in the
            # background: Teams wants this request answered within 15 s.
            task = asyncio.create_task(self.schools.deliver_due(recipient=user.email))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def background_done(self) -> None:
        """Wait for the deliveries started in the background by people coming back."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def _take_buttons_away(
        self, context: TurnContext, item: TeamsInput, answered: Answered
    ) -> None:
        """The clicked card, its question answered: updated in place (the click's `replyToId`
        names it) to the question without buttons and the answer. A failure costs nothing but
        the tidying: those buttons are refused by their token anyway."""
        if item.token != answered.token or item.reply_to_id is None:
            return
        activity = Activity.model_validate(render_answered(answered))
        activity.id = item.reply_to_id
        try:
            await self.sender.call(
                partial(context.update_activity, activity),
                conversation_id=item.conversation_id,
                tenant_id=item.tenant_id,
            )
        except Exception as error:
            log.warning(
                "could not take an answered question's buttons away: %s", type(error).__name__
            )

    async def _answer_search(
        self, context: TurnContext, item: TeamsInput, reference: dict[str, Any]
    ) -> None:
        """The person picker's type-ahead: names only for someone at that very person step.
        Always answered (200, perhaps no results): without a response Teams shows an error."""
        options: list[Option] = []
        if item.search is not None:
            try:
                user, _ = await self.directory.user(context, item, reference)
            except UnknownTeamsUser:
                user = None
            if user is not None:
                services = await self.schools.of(
                    channel=CHANNEL, conversation_key=user.email, email=user.email
                )
                found = await services.people.choices(
                    channel=CHANNEL,
                    conversation_key=user.email,
                    email=user.email,
                    step_id=item.search.step_id,
                    query=item.search.query,
                )
                options = found or []
        response = InvokeResponse(status=200, body=search_response(options))
        await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=response))

    async def _answer_consent(
        self, context: TurnContext, item: TeamsInput, consent: FileConsent, user: User
    ) -> None:
        try:
            activities = await self.files.answer(consent, user)
        except Exception as error:
            log.error("Teams file consent failed: %s", type(error).__name__)
            activities = not_saved(consent.source)
        await self._send_activities(context, item, activities)

    async def _send(
        self, context: TurnContext, item: TeamsInput, replies: Sequence[Outbound]
    ) -> None:
        await self._send_activities(context, item, render_turn(replies, files=self.send_files))

    async def _send_activities(
        self, context: TurnContext, item: TeamsInput, payloads: Sequence[Json]
    ) -> None:
        for payload in payloads:
            activity = Activity.model_validate(payload)
            await self.sender.call(
                partial(context.send_activity, activity),
                conversation_id=item.conversation_id,
                tenant_id=item.tenant_id,
            )

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        status = getattr(error, "status", None)  # the Bot Connector's answer, if it was one
        log.error(
            "Teams turn failed in the SDK: %s%s",
            type(error).__name__,
            f" (Teams answered {status})" if isinstance(status, int) else "",
        )
        failures = _TURN_FAILURES.get()
        if failures is not None:
            failures.append(type(error).__name__)

    async def unreachable_handlers(self) -> list[str]:
        """The DSLs, deputies and headteacher Teams cannot alert, and why: they never installed
        the app, or Teams refused to deliver to them (the app removed or blocked)."""
        handlers = {p.email.lower(): p for p in self.school.people_with(*HANDLER_ROLES)}
        async with self.services.sessions() as session:
            why = await addresses.why_unreachable(session, "teams", list(handlers))
        return [
            f"{p.name} <{p.email}> ({why[email] or 'the app is not installed'})"
            for email, p in handlers.items()
            if email in why
        ]

    async def start(self) -> None:
        await self.report_unreachable()

    async def stop(self) -> None:
        """Close the connections to the Bot Connector, kept open between turns."""
        await self.clients.close()

    async def report_unreachable(self) -> None:
        if names := await self.unreachable_handlers():
            log.warning(
                "Teams cannot alert %s: alerts still go out on the other channels, and Teams "
                "is tried again once they write to the bot. Install (or unblock) the app for "
                "them in the Teams admin centre.",
                "; ".join(names),
            )


def _refuse(status: int, message: str, reason: str) -> web.Response:
    log.warning("refused an activity at %s: %s", MESSAGES_PATH, reason)
    return web.json_response({"error": message}, status=status)
