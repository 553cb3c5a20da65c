"""The typed commands a turn answers when no report is under way, in the order they are tried:
the self-audit's, the briefings' and training's, the filtering checks' and the annual review's, a
drill, the safeguarding team's (bot/cases/typed_commands.py), the monitoring figures and a
false-positive mark. Each checks the person's role itself, on every ask; this only passes the
words on and says what follows the answer (the menu, and whether the dispatcher is to be woken)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.audit.chat import AuditCommands
from bot.briefings.chat import BriefingCommands
from bot.cases import drills, typed_commands
from bot.cases.chat import CaseCommands
from bot.chat.turn import TurnContext
from bot.delivery.messages import Inbound, Outbound
from bot.monitoring import false_positive
from bot.monitoring import stats as monitoring_stats
from bot.monitoring.checks_chat import CheckCommands
from bot.monitoring.review_chat import ReviewCommands
from bot.training.chat import TrainingCommands
from bot.words import strings

Menu = Callable[[Inbound], list[Outbound]]  # the menu shown again after an answer


@dataclass(frozen=True)
class TypedCommands:
    cases: CaseCommands
    audits: AuditCommands
    training: TrainingCommands
    checks: CheckCommands
    reviews: ReviewCommands
    briefings: BriefingCommands

    async def answer(self, context: TurnContext, command: str, menu: Menu) -> list[Outbound] | None:
        """The replies to `command` (with the menu after them), or None when it is none of
        these; sets `context.queued` when the answer queued messages."""
        inbound, session, now = context.inbound, context.session, context.now
        email = inbound.user.email
        kept = await self.audits.command(
            session, context.loaded, command.split(), inbound.user, now
        )
        if kept is None:
            kept = await self.briefings.command(session, context.loaded, command, inbound.user, now)
        if kept is None:
            kept = await self.training.command(session, command.split(), inbound.user, now)
        if kept is None:
            kept = await self.checks.command(session, context.loaded, command, email, now)
        if kept is None:
            kept = await self.reviews.command(
                session, context.loaded, command.split(), inbound.user, now
            )
        if kept is not None:  # the menu follows, unless it opened their own questionnaire
            return [*kept, *([] if context.loaded.doc.dialog else menu(inbound))]
        drill = await drills.command(
            session, self.cases.desk, command=command, email=email, channel=inbound.channel, now=now
        )
        if drill is not None:  # a drill queues its alerts: the dispatcher is woken for them
            replies, context.queued = drill[0], context.queued or drill[1]
            return [*replies, *menu(inbound)]
        text = inbound.text or ""
        typed = await typed_commands.answer(
            self.cases, session, command=command, text=text, email=email, now=now
        )
        if typed is None and command in strings.MONITORING_STATS_WORDS:  # numbers only
            typed = await monitoring_stats.answer(session, self.cases.desk.school, email, now)
        if typed is None:  # the DSL's mark of a provider's alert (bot/monitoring)
            typed = await false_positive.command(
                session, desk=self.cases.desk, text=text, email=email, now=now
            )
        if typed is None:
            return None
        context.queued = True  # some queue messages (cover me): the dispatcher is woken
        return [*typed, *menu(inbound)]
