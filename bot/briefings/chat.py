"""Briefings in chat: "brief" (the DSL, deputies or headteacher write one, in the flow
dialogs/flows/brief.yaml, and send it to all staff) and "briefings" (who has not confirmed
which, and the wrong answers). Reading one is the self-audit's: its invitation's button opens
the campaign's flow (bot/audit/chat.py), whatever the kind of campaign."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit.use_cases import RESULT_ROLES
from bot.briefings import drafts, report, templates
from bot.briefings.flow import BadQuestion, from_answers
from bot.briefings.start import BriefingStarter
from bot.chat.conversations import LoadedConversation
from bot.delivery.messages import Notice, Outbound, User
from bot.record.refusals import record_refusal
from bot.school.config import SchoolConfig
from bot.words import strings
from dialogs.engine import Dialog, Turn
from storage.crypto import Cipher
from storage.models import BriefingDraft

log = logging.getLogger(__name__)


async def _refused(session: AsyncSession, email: str, action: str, now: datetime) -> list[Outbound]:
    """The refusal, recorded in the event log as the words say (repeats folded into one)."""
    log.warning("briefing %s refused", action)
    await record_refusal(session, email=email, action=action, report_id=None, now=now)
    return [Notice(strings.BRIEFING_NOT_ALLOWED, "error")]


FLOW = "brief"
# Who may send a briefing and read who has confirmed it (names and wrong answers): the DSL,
# deputies and headteacher, as for the self-audit's results.
BRIEF_ROLES = RESULT_ROLES


class BriefingCommands:
    def __init__(
        self,
        *,
        school: SchoolConfig,
        cipher: Cipher,
        starter: BriefingStarter,
        dialogs: Mapping[str, Dialog],
    ) -> None:
        self.school = school
        self.cipher = cipher
        self.starter = starter
        self.dialogs = dialogs

    def allowed(self, email: str) -> bool:
        person = self.school.person(email)
        return person is not None and any(person.has_role(role) for role in BRIEF_ROLES)

    def help_for(self, email: str) -> str:
        """What `help` adds for someone who may send briefings; nothing for anyone else."""
        return "\n\n" + strings.BRIEFING_HELP_TEAM if self.allowed(email) else ""

    async def command(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        command: str,
        user: User,
        now: datetime,
    ) -> list[Outbound] | None:
        """`brief` (or `brief <template>`) or `briefings`; None if `command` is neither."""
        word, _, template = command.partition(" ")
        if template and (word not in strings.BRIEF_WORDS or template not in templates.TEMPLATES):
            return None
        if word not in strings.BRIEF_WORDS | strings.BRIEFINGS_WORDS:
            return None
        if not self.allowed(user.email):
            return await _refused(session, user.email, "brief", now)
        if command in strings.BRIEFINGS_WORDS:
            return await report.briefings_report(session, cipher=self.cipher, school=self.school)
        return self._begin(loaded, template or None, now)

    async def on_button(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        value: str,
        user: User,
        now: datetime,
    ) -> list[Outbound]:
        """A scheduled draft's "Review and send" (the brief flow, filled in from its template:
        nothing is sent before its Send) or "Not this time" (the draft ends). The role is
        checked on every press."""
        if not self.allowed(user.email):
            return await _refused(session, user.email, "brief_draft", now)
        declining = value.startswith(drafts.DECLINE)
        number = value.removeprefix(drafts.DECLINE if declining else drafts.REVIEW)
        draft = await session.get(BriefingDraft, int(number)) if number.isdigit() else None
        if draft is None:
            return [Notice(strings.BRIEFING_DRAFT_GONE, "info")]
        if draft.status != drafts.WAITING:
            return [Notice(strings.BRIEFING_DRAFT_ENDED, "info")]
        if declining:
            await drafts.decline(session, draft.id, user.email, now)
            return [Notice(strings.BRIEFING_DRAFT_DECLINED, "info")]
        begun = self._begin(loaded, draft.template, now)
        return begun if begun is not None else [Notice(strings.BRIEFING_DRAFT_GONE, "info")]

    def _begin(
        self, loaded: LoadedConversation, template: str | None, now: datetime
    ) -> list[Outbound] | None:
        """Start the brief flow, filled in from `template` if one is given; None without it."""
        dialog = self.dialogs.get(FLOW)
        if dialog is None:
            return None
        filled = templates.answers(template, self.school, now) if template else None
        turn = dialog.start(turn=loaded.doc.next_turn(), answers=filled)
        loaded.doc.dialog = turn.state.to_json()
        return [Notice(dialog.spec.intro, "guidance"), *turn.prompts]

    async def after(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        dialog: Dialog,
        turn: Turn,
        email: str,
        now: datetime,
    ) -> list[Outbound]:
        """The brief flow moved on: keep its state, or send the briefing once it is confirmed."""
        doc = loaded.doc
        if turn.outcome == "continue" and self._template_just_chosen(turn):
            # Begun again with what the template fills in: its next question is what it left.
            chosen = str(turn.state.answers[templates.TEMPLATE_STEP])
            filled = templates.answers(chosen, self.school, now)
            turn = dialog.start(turn=turn.state.turn + 1, answers=filled)
            doc.dialog = turn.state.to_json()
            return [p for p in turn.prompts if p != Notice(dialog.spec.intro, "info")]
        if turn.outcome == "continue":
            doc.dialog = turn.state.to_json()
            return [*turn.prompts]
        doc.dialog = None
        if turn.outcome != "completed":
            return [*turn.prompts]
        if not self.allowed(email):  # the role is checked again when it is sent
            return await _refused(session, email, "brief", now)
        briefing = from_answers(turn.answers(dialog))
        if isinstance(briefing, BadQuestion):  # asked again, the rest kept
            state = turn.state
            state.step, state.turn = briefing.step, state.turn + 1
            doc.dialog = state.to_json()
            notice = Notice(strings.BRIEFING_BAD_WRONG.format(n=briefing.n), "error")
            return [notice, *dialog.repeat(state)]
        started = await self.starter.start(session, briefing, started_by=email, now=now)
        template = strings.BRIEFING_SENT if started.created else strings.BRIEFING_ALREADY
        text = template.format(title=briefing.title, n=started.invited)
        return [Notice(text, "success" if started.created else "info")]

    @staticmethod
    def _template_just_chosen(turn: Turn) -> bool:
        """A template was chosen at the flow's first step (and nothing it fills in is given)."""
        chosen = turn.state.answers.get(templates.TEMPLATE_STEP)
        return chosen in templates.TEMPLATES and "title" not in turn.state.answers
