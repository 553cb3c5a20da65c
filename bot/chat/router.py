"""The turn router: one inbound message in, the conversation moved on, neutral replies out."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.audit.chat import AuditCommands
from bot.briefings.chat import BriefingCommands
from bot.cases import typed_commands
from bot.cases.alerts import AlertDesk
from bot.cases.chat import CaseCommands
from bot.chat.buttons import Buttons
from bot.chat.conversations import (
    StaleConversation,
    first_delivery,
    load_conversation,
    save_conversation,
)
from bot.chat.draft_notices import DraftSettings
from bot.chat.draft_viewer import DraftViewer
from bot.chat.people_picker import PeoplePicker, names_in
from bot.chat.report_filing import ReportFiling
from bot.chat.turn import TurnContext
from bot.chat.typed import TypedCommands
from bot.delivery.messages import Answered, Inbound, Notice, Outbound, Question, Summary
from bot.monitoring.checks_chat import CheckCommands
from bot.monitoring.review_chat import ReviewCommands
from bot.reports import kinds
from bot.reports.menu import OFFER, main_menu
from bot.reports.service import (
    abandon_report,
)
from bot.school.config import SchoolConfig
from bot.training.chat import TrainingCommands
from bot.words import strings
from bot.words.vocabulary import DIALOG_WORDS
from dialogs.datetimes import format_moment
from dialogs.display import answer_label, asked_before
from dialogs.engine import Dialog, Reply, Turn
from dialogs.loader import Flow
from dialogs.prompts import Prompt
from storage.crypto import Cipher

log = logging.getLogger(__name__)
_START = "start:"
_HELP = {"__help", *strings.HELP_WORDS}


@dataclass(frozen=True)
class RouterSettings:
    draft_retention: timedelta = timedelta(hours=72)
    welcome_back_after: timedelta = timedelta(minutes=30)
    drafts: DraftSettings = field(default_factory=DraftSettings)


def build_dialogs(
    flows: dict[str, Flow], *, school: SchoolConfig, clock: Callable[[], datetime]
) -> dict[str, Dialog]:
    """A dialog per flow: the router runs them, and the case commands start the case flows."""
    return {
        flow_id: Dialog(
            flow, tz=school.tz, clock=clock, people=names_in(school), words=DIALOG_WORDS
        )
        for flow_id, flow in flows.items()
    }


class Router:
    """Runs turns: load the state, run one step, write everything in one transaction.

    Its features (the case, audit and training commands) and `wake` (called after a commit
    that queued something for the outbox: the dispatcher's wake-up) come in its constructor:
    bot/app.py composes them, and nothing is set on it afterwards."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        school: SchoolConfig,
        flows: dict[str, Flow],
        dialogs: dict[str, Dialog],
        clock: Callable[[], datetime],
        desk: AlertDesk,
        cases: CaseCommands,
        audits: AuditCommands,
        briefings: BriefingCommands,
        training: TrainingCommands,
        checks: CheckCommands,
        wake: Callable[[], None],
        turn_timed: Callable[[float], None] | None = None,
        settings: RouterSettings | None = None,
        reviews: ReviewCommands | None = None,
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.school = school
        self.flows = flows
        self.clock = clock
        self.settings = settings or RouterSettings()
        self.dialogs = dialogs
        # The type-ahead of person steps, which every channel asks as the reporter types.
        self.people = PeoplePicker(
            sessions=sessions, cipher=cipher, school=school, dialogs=self.dialogs
        )
        self.report_flows = {k: f for k, f in flows.items() if f.spec.purpose == "report"}
        self.desk = desk
        self.filing = ReportFiling(cipher=cipher, desk=desk, dialogs=dialogs)
        self.draft_viewer = DraftViewer(cipher, school, dialogs, self.settings.drafts)
        self.cases = cases
        self.audits = audits
        self.briefings = briefings
        self.training = training
        self.checks = checks  # the ICT lead's filtering checks (bot/monitoring)
        self.reviews = reviews or ReviewCommands(
            school=school, cipher=cipher, flows=flows, clock=clock
        )
        self.typed = TypedCommands(cases, audits, training, checks, self.reviews, briefings)
        self.buttons = Buttons(
            self.draft_viewer, desk, cases, checks, audits, self.reviews, briefings
        )
        self.wake = wake
        # The metrics' turn histogram (bot/metrics.py): called with each turn's seconds.
        self.turn_timed: Callable[[float], None] = turn_timed or (lambda seconds: None)
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        """Handle one inbound message; a duplicate delivery returns nothing."""
        key = (inbound.channel, inbound.conversation_key)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        started = time.perf_counter()
        async with lock:
            try:
                replies = await self._handle_once(inbound)
            except StaleConversation:
                replies = [Notice(strings.BUSY, "info"), *await self._handle_once(_show(inbound))]
        self.turn_timed(time.perf_counter() - started)
        log.info(
            "turn channel=%s conversation=%s replies=%d ms=%.1f",
            inbound.channel,
            _short(inbound.conversation_key),
            len(replies),
            (time.perf_counter() - started) * 1000,
        )
        return replies

    async def _handle_once(self, inbound: Inbound) -> list[Outbound]:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            if inbound.gate is not None:
                await inbound.gate(session)
            if inbound.message_id and not await first_delivery(
                session, channel=inbound.channel, message_id=inbound.message_id, now=now
            ):
                return []
            loaded = await load_conversation(
                session,
                cipher=self.cipher,
                channel=inbound.channel,
                conversation_key=inbound.conversation_key,
                user_email=inbound.user.email,
                now=now,
            )
            context = TurnContext(session, loaded, inbound, now)
            idle = now - loaded.row.updated_at if loaded.row.version else timedelta(0)
            replies = await self._turn(context, idle=idle)
            if loaded.doc.dialog is not None:  # a new dialog: Send now belongs to its summary
                loaded.doc.last_reference = None
            started = loaded.row.draft_started_at if loaded.doc.dialog else None
            if loaded.doc.dialog and started is None:
                started = now
            await save_conversation(
                session, cipher=self.cipher, loaded=loaded, draft_started_at=started, now=now
            )
        if context.queued:
            self.wake()
        return replies

    async def _turn(self, context: TurnContext, *, idle: timedelta) -> list[Outbound]:
        doc, inbound = context.loaded.doc, context.inbound
        pressed = await self.buttons.answer(context, lambda asked: self._menu(asked, again=True))
        if pressed is not None:
            return pressed
        prefix: list[Outbound] = []
        if doc.purged is not None:
            prefix.append(Notice(self._purged_text(doc.purged), "warning"))
            doc.purged = None
        if doc.dialog is None:
            return [*prefix, *await self._idle(context)]
        campaign = await self.audits.campaign_of(context.session, context.loaded)
        review = await self.reviews.review_of(context.session, context.loaded)
        if campaign is not None:  # an audit keeps the questions its campaign started with
            dialog: Dialog | None = self.audits.dialog_for(campaign)
        elif review is not None:  # the review's questions hold the year's figures
            dialog = self.reviews.dialog_for(review)
        else:
            dialog = self.dialogs.get(doc.dialog["flow_id"])
        if dialog is None:
            doc.dialog = None
            return [*prefix, Notice(strings.FLOW_GONE, "warning"), *self._menu(inbound)]
        state = dialog.resume(doc.dialog)
        reply = Reply(inbound.text, inbound.value, inbound.values, inbound.token)
        if not dialog.accepts(state, reply):  # an old message's button: nothing changes
            stale = _stale(inbound, asked_before(dialog, state, inbound.token))
            return [*stale, *prefix, Notice(strings.STALE_CLICK, "info"), *dialog.repeat(state)]
        asked = dialog.repeat(state)[-1]
        if inbound.attachments:
            return [Notice(strings.NO_ATTACHMENTS, "error"), *dialog.repeat(state)]
        if inbound.session_start:
            started = format_moment(
                context.loaded.row.draft_started_at or context.now, self.school.tz
            )
            text = strings.UNFINISHED.format(title=dialog.spec.title, started=started)
            return [Notice(text, "info"), *dialog.repeat(state)]
        if idle >= self.settings.welcome_back_after and inbound.text:
            title = dialog.spec.title
            welcome = Notice(strings.WELCOME_BACK.format(title=title), "info", inbound.text)
            return [welcome, *dialog.repeat(state)]
        turn = dialog.handle(state, reply)
        done = _answered(asked, reply, turn)
        if campaign is not None:
            after = await self.audits.after(
                context.session, context.loaded, campaign, dialog, turn, inbound.user, context.now
            )
            if doc.dialog is None:
                after += self._menu(inbound, again=True)
            return [*done, *prefix, *after]
        if review is not None:
            after = await self.reviews.after(
                context.session, context.loaded, review, dialog, turn, inbound.user, context.now
            )
            context.queued = True  # completing it tells the others
            if doc.dialog is None:
                after += self._menu(inbound, again=True)
            return [*done, *prefix, *after]
        return [*done, *prefix, *await self._after(context, dialog, turn, asked)]

    async def _after(
        self, context: TurnContext, dialog: Dialog, turn: Turn, asked: Prompt
    ) -> list[Outbound]:
        """Act on what the dialog did: open the urgent record, file, or discard the draft.
        `asked`: what the person answered, which for a filed report is the summary they sent."""
        doc, inbound, now = context.loaded.doc, context.inbound, context.now
        email = inbound.user.email
        cases = self.cases
        if dialog.spec.purpose == "check":
            checked, queued = await self.checks.after(
                context.session, context.loaded, dialog, turn, email, now
            )
            context.queued |= queued
            return checked if doc.dialog else [*checked, *self._menu(inbound, again=True)]
        if dialog.spec.purpose == "brief":
            sent = await self.briefings.after(
                context.session, context.loaded, dialog, turn, email, now
            )
            return sent if doc.dialog else [*sent, *self._menu(inbound, again=True)]
        if dialog.spec.purpose == "case":
            if turn.outcome == "continue":
                doc.dialog = turn.state.to_json()
                return [*turn.prompts]
            doc.dialog = None
            replies: list[Outbound] = [*turn.prompts]
            if turn.outcome == "completed":
                replies = await cases.finish(
                    context.session, context.loaded, dialog, turn, email, now
                )
                context.queued = True
            doc.extra.pop("case", None)
            return [
                *replies,
                *(cases.resume_paused(context.loaded) or self._menu(inbound, again=True)),
            ]
        if turn.new_urgent_reasons:
            await self.filing.mark_urgent(context, dialog, turn)
        if doc.report_id is not None and turn.outcome == "continue":
            context.queued |= await self.filing.allegation_so_far(context, dialog, turn)
        if turn.outcome == "cancelled":
            if doc.report_id is not None:
                await abandon_report(
                    context.session, report_id=doc.report_id, actor_email=email, now=now
                )
            doc.dialog, doc.report_id = None, None
            return [*turn.prompts, *self._menu(inbound, again=True)]
        if turn.outcome == "completed":
            await self.filing.submit(context, dialog, turn, shown=asked)
            doc.dialog, doc.report_id = None, None
            return []  # the confirmation, then the menu, come through the outbox
        doc.dialog = turn.state.to_json()
        return [*turn.prompts]

    async def _idle(self, context: TurnContext) -> list[Outbound]:
        """No report under way: start one, show help, the cases or my reports, or the menu."""
        inbound = context.inbound
        command = " ".join((inbound.value or inbound.text or "").strip().casefold().split())
        flow_id = self._flow_for(command)
        if inbound.attachments:
            return [Notice(strings.NO_ATTACHMENTS, "error"), *self._menu(inbound)]
        sent = context.loaded.doc.last_reference
        if inbound.value == "__submit" and sent:  # Send again: a double click, a retry
            notice = Notice(strings.ALREADY_SENT.format(reference=sent), "info")
            return [*_stale(inbound, None), notice, *self._menu(inbound, again=True)]
        if inbound.value and inbound.value.startswith(OFFER) and inbound.token is None:
            replies, started = await self.filing.take_offer(context, inbound.value[len(OFFER) :])
            return replies if started else [*replies, *self._menu(inbound, again=True)]
        if inbound.is_click and (inbound.token is not None or not _menu_value(command)):
            # A question's button from a dialog that has ended: it must start nothing.
            stale = _stale(inbound, None)
            return [*stale, Notice(strings.STALE_BUTTON, "info"), *self._menu(inbound)]
        if flow_id is not None:
            turn = self.dialogs[flow_id].start(turn=context.loaded.doc.next_turn())
            context.loaded.doc.dialog = turn.state.to_json()
            return [*turn.prompts]
        typed = await self.typed.answer(
            context, command, lambda asked: self._menu(asked, again=True)
        )
        if typed is not None:
            return typed
        if command in _HELP:
            help_text = strings.HELP.format(commands=kinds.command_hint())
            help_text += typed_commands.help_for(self.school, inbound.user.email)
            help_text += self.checks.help_for(inbound.user.email)
            help_text += self.briefings.help_for(inbound.user.email)
            return [Notice(help_text, "guidance"), *self._menu(inbound)]
        if inbound.value is not None:
            return [Notice(strings.STALE_BUTTON, "info"), *self._menu(inbound)]
        if inbound.session_start:
            waiting = await self.cases.waiting_notice(context.session, inbound.user.email)
            return [*waiting, *self._menu(inbound)]
        if command:  # typed words that are no command: say so, rather than only the menu
            return [Notice(strings.NOT_UNDERSTOOD, "info"), *self._menu(inbound)]
        return self._menu(inbound)

    def _flow_for(self, command: str) -> str | None:
        """The report flow a command starts: a menu button's `start:<flow id>`, a Slack
        command's `start:<kind id>`, or a kind's command word such as report or monitoring."""
        if command.startswith(_START):
            wanted = command[len(_START) :]
            if wanted in self.report_flows:
                return wanted
            kind = kinds.find(wanted)
        else:
            kind = kinds.kind_for_command(command)
        if kind is None:
            return None
        # The flow with the kind's own id (a school's copy replaces the built-in one by id),
        # else the first report flow that files this kind.
        filing = [f.id for f in self.report_flows.values() if f.spec.report_kind == kind.id]
        return kind.id if kind.id in filing else next(iter(filing), None)

    def _menu(self, inbound: Inbound, *, again: bool = False) -> list[Outbound]:
        name = inbound.user.display_name.split(" ")[0]
        flows = self.report_flows.values()
        return [main_menu(self.school, flows, inbound.user.email, again=again, name=name)]

    def _purged_text(self, purged: dict[str, Any]) -> str:
        flow = self.flows.get(purged.get("flow_id", ""))
        title = flow.spec.title if flow else "report"
        started_at = purged.get("started_at")
        started = (
            format_moment(datetime.fromisoformat(started_at), self.school.tz)
            if started_at
            else "earlier"
        )
        hours = purged.get("hours") or round(self.settings.draft_retention.total_seconds() / 3600)
        text = strings.PURGED.format(title=title, started=started, hours=hours)
        return text + (strings.PURGED_DSL_TOLD if purged.get("dsl_told") else "")


def _answered(asked: Prompt, reply: Reply, turn: Turn) -> list[Outbound]:
    """A click that moved the dialog on: its message may lose its buttons and show the answer."""
    if not isinstance(asked, Question | Summary) or asked.token is None or not reply.is_click:
        return []
    if turn.outcome == "continue" and turn.state.token == asked.token:
        return []  # still the same question (a refused answer, help): its buttons still count
    return [Answered(asked.token, asked, answer_label(asked, reply.value, reply.values))]


def _stale(inbound: Inbound, asked: Question | None) -> list[Outbound]:
    """An old message's click: it may lose its buttons too. Which answer it had is not known
    (it may be an earlier report's), so none is shown: only that it was answered."""
    if inbound.token is None:
        return []
    return [Answered(inbound.token, asked, None)]


def _menu_value(command: str) -> bool:
    """A value only the menu's (or App Home's, or the slash command's) buttons send."""
    return command.startswith(_START) or command in {"__cases", "__mine", "help"}


def _show(inbound: Inbound) -> Inbound:
    return Inbound(
        inbound.channel,
        inbound.conversation_key,
        inbound.user,
        session_start=True,
        gate=inbound.gate,
    )


def _short(key: str) -> str:
    # Conversation keys can contain e-mail addresses; logs get a stable, anonymous stand-in.
    return hashlib.sha256(key.encode()).hexdigest()[:10]
