"""The buttons a turn answers before any dialog: a draft's Open (for the DSL told of it), a
cover request's Accept, a case card's buttons, and the invitations to the filtering check, the
self-audit and the annual review. Each checks the person's role itself on every press; this
passes the press on and says what follows it (the menu where a refusal would end the
conversation, and whether the dispatcher is to be woken)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.audit.chat import START as AUDIT_START
from bot.audit.chat import AuditCommands
from bot.briefings import drafts as briefing_drafts
from bot.briefings.chat import BriefingCommands
from bot.cases import cover
from bot.cases.alerts import AlertDesk
from bot.cases.chat import CaseCommands
from bot.chat.draft_viewer import DraftViewer
from bot.chat.turn import TurnContext
from bot.delivery.messages import Inbound, Outbound
from bot.monitoring.checks_chat import CheckCommands
from bot.monitoring.checks_schedule import START as CHECK_START
from bot.monitoring.review_chat import START as REVIEW_START
from bot.monitoring.review_chat import ReviewCommands

Menu = Callable[[Inbound], list[Outbound]]  # the menu shown again after an answer


@dataclass(frozen=True)
class Buttons:
    draft_viewer: DraftViewer
    desk: AlertDesk
    cases: CaseCommands
    checks: CheckCommands
    audits: AuditCommands
    reviews: ReviewCommands
    briefings: BriefingCommands

    async def answer(self, context: TurnContext, menu: Menu) -> list[Outbound] | None:
        """The replies to one of these buttons, or None when the press is none of them."""
        doc, inbound, session, now = (
            context.loaded.doc,
            context.inbound,
            context.session,
            context.now,
        )
        value, email = inbound.value or "", inbound.user.email
        if self.draft_viewer.is_open_button(value):  # a DSL opens a draft they were told of
            return await self.draft_viewer.open(session, value=value, email=email, now=now)
        if value.startswith(cover.BUTTON):
            context.queued = True
            return await cover.on_button(
                session,
                school=self.desk.school,
                channels=self.desk.channels,
                value=value,
                email=email,
                now=now,
            )
        if value.startswith("case:"):
            replies, queued = await self.cases.on_button(session, context.loaded, value, email, now)
            context.queued |= queued
            return replies
        if value == CHECK_START:  # the ask's button: start (or show) the check
            replies = await self.checks.start(session, context.loaded, email, now)
        elif value.startswith(AUDIT_START):
            replies = await self.audits.on_button(session, context.loaded, value, inbound.user, now)
        elif value.startswith((briefing_drafts.REVIEW, briefing_drafts.DECLINE)):
            replies = await self.briefings.on_button(
                session, context.loaded, value, inbound.user, now
            )
        elif value.startswith(REVIEW_START):
            replies = await self.reviews.on_button(
                session, context.loaded, value, inbound.user, now
            )
        else:
            return None
        # Refused (not theirs, closed, not invited): the menu, so it is no dead end.
        return replies if doc.dialog is not None else [*replies, *menu(inbound)]
