"""The Slack channel: slack-bolt's AsyncApp on our aiohttp server (or Socket Mode), around the
same turn entry point as every channel. Listeners ack at once (the slash command once it knows,
within a second, whether it was typed in the bot's DM: command.py); the turn runs after the ack."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.services import OneSchool, Schools, Services
from bot.channels.slack.command import bot_dm, command_answer
from bot.channels.slack.files import FileUpload, render_with_files, upload
from bot.channels.slack.home import home_view
from bot.channels.slack.identity import SlackDirectory, UnknownSlackUser, workspace_staff
from bot.channels.slack.notifier import SlackNotifier
from bot.channels.slack.parse import (
    CHANNEL,
    REPORT_SHORTCUT,
    SlackInput,
    SlackPayloadError,
    parse_action,
    parse_command,
    parse_event,
    parse_shortcut,
    to_inbound,
)
from bot.channels.slack.people import PERSON_PICK, options_json, parse_suggestion
from bot.channels.slack.render import answered_update, render_turn
from bot.channels.slack.validation import Rejected, parse_body, verify_signature
from bot.delivery.channel import Capabilities, StaffContact
from bot.delivery.messages import Answered, Notice
from bot.delivery.school_tags import untag_value
from bot.settings import Settings
from bot.words import strings

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
COMMAND = "/online-safety"
TOO_LARGE = "The request is too large for this bot to take."
NOT_FROM_SLACK = "The request is not signed by Slack."
NOT_A_SLACK_PAYLOAD = "The request is not a payload Slack sends."


class SlackChannel:
    name = CHANNEL
    # Files go with the turn's replies: Slack uploads them, so an export leaves with the turn.
    capabilities = Capabilities(files_with_replies=True)

    def __init__(
        self, *, settings: Settings, services: Services, schools: Schools | None = None
    ) -> None:
        """`services`: the address book (its sessions) and the people the channel knows (its
        school); `schools`: which school each turn goes to (a trust's desk; by default the one
        school of `services`)."""
        assert settings.slack_bot_token is not None
        self.services = services
        self.schools: Schools = schools or OneSchool(services)
        self.school = services.school
        self.client = AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
        )
        secret = settings.slack_signing_secret
        # Without a signing secret (Socket Mode only) the HTTP route is not mounted at all:
        # nothing unsigned may ever reach the listeners.
        self.http_enabled = secret is not None
        self.signing_secret = secret.get_secret_value() if secret else None
        self.app = AsyncApp(
            client=self.client,
            signing_secret=secret.get_secret_value() if secret else None,
            request_verification_enabled=self.http_enabled,
            process_before_response=False,
        )
        self.app.logger.addFilter(_no_unhandled_request_bodies)
        app_token = settings.slack_app_token
        self.app_token = app_token.get_secret_value() if app_token else None
        self.socket_mode: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task[None] | None = None
        self.directory = SlackDirectory(self.client, services.sessions, services.clock)
        self.notifier = SlackNotifier(self.client, self.directory)
        # Turns that Slack was told were received (acked) and that have not finished yet: a
        # graceful stop, and the tests, wait for this to reach nought rather than for quiet.
        self.in_flight = 0
        self._listen()

    async def staff(self, _session: AsyncSession) -> list[StaffContact]:
        """The workspace's members (or the audit's user group's): whom the self-audit asks."""
        group = self.school.audit.slack_user_group
        members = await workspace_staff(self.client, user_group=group)
        return [StaffContact(u.email, u.display_name, CHANNEL) for u in members]

    def add_routes(self, app: web.Application) -> None:
        if self.http_enabled:
            app.router.add_post(EVENTS_PATH, self.events)

    async def events(self, request: web.Request) -> web.Response:
        """Events, interactivity and the slash command all arrive here, signed by Slack: the
        signature and the payload's shape are checked (validation.py) before bolt sees it."""
        assert self.signing_secret is not None  # the route is mounted only with one
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _refuse(Rejected(413, "too large"), TOO_LARGE)
        try:
            verify_signature(
                body,
                timestamp=request.headers.get("X-Slack-Request-Timestamp"),
                signature=request.headers.get("X-Slack-Signature"),
                secret=self.signing_secret,
                now=time.time(),
            )
            text, _payload = parse_body(body, request.headers.get("Content-Type"))
        except Rejected as rejected:
            message = NOT_FROM_SLACK if rejected.status == 401 else NOT_A_SLACK_PAYLOAD
            return _refuse(rejected, message)
        bolt_request = AsyncBoltRequest(
            body=text,
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
        )
        response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    async def start(self) -> None:
        await self.start_socket_mode()

    async def start_socket_mode(self) -> None:
        """Connect in the background: if Slack is unreachable or the token wrong, slack-sdk keeps
        retrying, and the web chat and health checks must come up meanwhile."""
        if self.app_token is None:
            return
        self.socket_mode = AsyncSocketModeHandler(self.app, self.app_token)
        self._connecting = asyncio.create_task(self._connect(self.socket_mode))

    async def _connect(self, handler: AsyncSocketModeHandler) -> None:
        try:
            await handler.connect_async()  # type: ignore[no-untyped-call]
            log.info("Slack Socket Mode connected")
        except Exception:
            log.exception("Slack Socket Mode could not connect; check SLACK_APP_TOKEN")

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self.socket_mode is not None:
            await self.socket_mode.close_async()  # type: ignore[no-untyped-call]

    def _listen(self) -> None:
        app = self.app
        app.error(self._on_bolt_error)

        @app.event("message")
        async def on_message(body: dict[str, Any], ack: AsyncAck, context: Any) -> None:
            with self._working():
                await ack()
                await self._safely(lambda: parse_event(body, bot_user_id=context.bot_user_id))

        @app.event("app_home_opened")
        async def on_home(body: dict[str, Any], ack: AsyncAck) -> None:
            with self._working():
                await ack()
                event = body.get("event") or {}
                if event.get("tab") == "home" and event.get("user"):
                    await self._publish_home(str(body.get("team_id") or ""), str(event["user"]))

        @app.action(re.compile(".*"))
        async def on_action(body: dict[str, Any], ack: AsyncAck) -> None:
            with self._working():
                await ack()
                await self._safely(lambda: _once_per_button(parse_action(body)))

        @app.options(PERSON_PICK)
        async def on_person_options(body: dict[str, Any], ack: AsyncAck) -> None:
            # Slack waits 3 s for the options: the answer is the ack itself.
            await ack(options=await self._person_options(body))

        @app.command(COMMAND)
        async def on_command(body: dict[str, Any], ack: AsyncAck) -> None:
            with self._working():
                # Whether it was typed in the bot's own DM decides the answer (command.py);
                # the DM found is where the turn's replies go.
                user_id = body.get("user_id")
                dm = await bot_dm(self.client, user_id) if isinstance(user_id, str) else None
                answer = command_answer(body, dm)
                await (ack() if answer is None else ack(answer))
                await self._safely(lambda: _into(parse_command(body), dm))

        @app.shortcut(REPORT_SHORTCUT)
        async def on_shortcut(body: dict[str, Any], ack: AsyncAck) -> None:
            with self._working():
                await ack()
                await self._safely(lambda: parse_shortcut(body))

    async def _on_bolt_error(
        self, error: Exception, response: BoltResponse | None
    ) -> BoltResponse | None:
        """What bolt's middleware or a listener raised: bolt's own handler logs the error's
        text (which may quote the payload) with a traceback, and answers 500. Here the log has
        the error's type only. Before the ack Slack hears 400: anything that reaches bolt is
        signed and shaped as Slack's (validation.py), so what is left is a payload bolt cannot
        read. After the ack (`response` is None: a listener failed) there is nothing to answer."""
        log.error("Slack request failed in bolt: %s", type(error).__name__)
        if response is None:
            return None
        return BoltResponse(status=400, body={"error": NOT_A_SLACK_PAYLOAD})

    @contextlib.contextmanager
    def _working(self) -> Iterator[None]:
        # Counted from before the ack, so that whoever sees Slack's request answered also
        # sees the turn under way.
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    async def _safely(self, parse: Any) -> None:
        """Run a turn; a failure is logged (without content) and the person told, never lost."""
        try:
            item = parse()
        except SlackPayloadError as error:
            log.warning("ignored a Slack payload: %s", error)
            return
        if item is None:
            return
        try:
            user = await self.directory.user(item.team_id, item.user_id)
            names = await self.directory.learn_mentions(item.team_id, item.text)
            replies = await self.schools.handle(to_inbound(item, user, names=names))
        except UnknownSlackUser:
            log.warning("ignored a Slack payload: a user the workspace does not know")
            return
        except Exception:  # nothing of this message was saved: it can be sent again
            log.exception("Slack turn failed")
            await self._post(item, [Notice(strings.SLACK_FAILED, "error")])
            return
        try:
            if any(not isinstance(r, Answered) for r in replies):
                await self._post(item, replies)
        except Exception:
            # The turn is saved: sent again, the same words would answer the next question.
            log.exception("Slack did not take a turn's replies")
            await self._post(item, [Notice(strings.SLACK_REPLY_FAILED, "error")])
            return
        for answered in (r for r in replies if isinstance(r, Answered)):  # the reply first
            await self._take_buttons_away(item, answered)

    async def _take_buttons_away(self, item: SlackInput, answered: Answered) -> None:
        """The clicked message, its question answered: chat.update (channel and ts from the
        block_actions payload's `container`) with its buttons replaced by the answer. A failure
        costs nothing but the tidying: those buttons are refused by their token anyway."""
        if item.token != answered.token or item.channel_id is None or item.message_ts is None:
            return
        if item.ephemeral:
            return  # only response_url could replace it; the bot never sends ephemeral questions
        update = answered_update(answered, item.message_blocks, item.message_text)
        if update is None:
            return
        try:
            await self.client.chat_update(channel=item.channel_id, ts=item.message_ts, **update)
        except Exception as error:
            log.warning(
                "could not take an answered question's buttons away: %s", type(error).__name__
            )

    async def _person_options(self, body: dict[str, Any]) -> list[Any]:
        """The person picker's matches: names only for someone at that very person step."""
        suggestion = parse_suggestion(body)
        if suggestion is None:
            return []
        try:
            user = await self.directory.user(suggestion.team_id, suggestion.user_id)
            services = await self.schools.of(
                channel=CHANNEL, conversation_key=user.email, email=user.email
            )
            found = await services.people.choices(
                channel=CHANNEL,
                conversation_key=user.email,
                email=user.email,
                step_id=suggestion.step_id,
                query=suggestion.query,
            )
        except UnknownSlackUser:
            return []
        except Exception:  # an empty menu, never an error page in Slack
            log.exception("Slack person search failed")
            return []
        return options_json(found or [])

    async def _post(self, item: SlackInput, replies: list[Any]) -> None:
        channel = item.channel_id
        if channel is None:
            opened = await self.client.conversations_open(users=item.user_id)
            channel = str(opened["channel"]["id"])
        failed: list[str] = []
        for step in render_with_files(replies):
            if not isinstance(step, FileUpload):
                await self.client.chat_postMessage(channel=channel, **step)
            elif not await upload(self.client, channel, step):
                failed.append(step.title)
        if failed:  # the rest went out: say what is missing rather than leave a silent gap
            notice = Notice(strings.SLACK_UPLOAD_FAILED.format(files="; ".join(failed)), "error")
            for payload in render_turn([notice]):
                await self.client.chat_postMessage(channel=channel, **payload)

    async def _publish_home(self, team_id: str, user_id: str) -> None:
        try:
            user = await self.directory.user(team_id, user_id)
        except UnknownSlackUser:
            log.warning("no App Home for a Slack user the workspace does not know")
            return
        # The school they talk to (their one school, or the one they chose last).
        services = await self.schools.of(
            channel=CHANNEL, conversation_key=user.email, email=user.email
        )
        handles_cases = services.cases.handles_cases(user.email)
        flows = list(services.report_menu)
        waiting = 0
        if handles_cases:
            async with services.sessions() as session, session.begin():
                waiting = await services.cases.waiting_count(session, user.email)
        view = home_view(services.school.name, flows, handles_cases=handles_cases, waiting=waiting)
        await self.client.views_publish(user_id=user_id, view=view)


def _once_per_button(item: SlackInput | None) -> SlackInput | None:
    """A double click on a question's button counts once: the id is the message and the button,
    not the click. Case buttons (View, Acknowledge...) may be pressed again later on purpose,
    and so may Send: pressed again, it is answered with the reference already given."""
    if item is None or item.message_ts is None:
        return item
    value = item.value or ""
    value = tagged[1] if (tagged := untag_value(value)) is not None else value  # a trust's
    if value.startswith("case:"):
        return item
    # Another name chosen in the same menu is another answer; Send pressed again is answered
    # with the reference already given.
    if item.action_id == PERSON_PICK or value == "__submit":
        return item
    key = f"{item.team_id}:{item.user_id}:{item.message_ts}:{item.action_id}".encode()
    return replace(item, message_id=f"slack:{hashlib.sha256(key).hexdigest()}")


def _into(item: SlackInput, dm: str | None) -> SlackInput:
    """A command's turn, answered in the bot's DM when it is already known."""
    return item if dm is None else replace(item, channel_id=dm)


def _refuse(rejected: Rejected, message: str) -> web.Response:
    log.warning("refused a request to %s: %s", EVENTS_PATH, rejected.reason)
    return web.json_response({"error": message}, status=rejected.status)


def _no_unhandled_request_bodies(record: logging.LogRecord) -> bool:
    """Bolt warns of a request no listener takes by quoting its payload: a person picker's
    query is a name being typed. That warning is dropped; nothing else of bolt's is."""
    return not str(record.msg).startswith("Unhandled request")
