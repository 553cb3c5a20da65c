"""The DSL opens an unfinished report they were told of: the answers so far, for those the
notice is for only (worked out again from the draft as it is now, on the server), and every
opening recorded in the event log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.conversations import ConversationDoc
from bot.chat.draft_notices import OPEN, DraftSettings, notice_recipients
from bot.delivery.messages import Card, CardField, Notice, Outbound
from bot.record.events import record_event
from bot.record.refusals import record_refusal
from bot.school.config import SchoolConfig
from bot.words import strings
from dialogs.datetimes import format_moment
from dialogs.display import summary_for
from dialogs.engine import Dialog
from storage.crypto import Cipher, Misplaced
from storage.models import Conversation


@dataclass(frozen=True)
class DraftViewer:
    cipher: Cipher
    school: SchoolConfig
    dialogs: dict[str, Dialog]
    drafts: DraftSettings

    @staticmethod
    def is_open_button(value: str | None) -> bool:
        return bool(value and value.startswith(OPEN))

    async def open(
        self, session: AsyncSession, *, value: str, email: str, now: datetime
    ) -> list[Outbound]:
        """The draft's answers so far for someone its notice is for; a refusal otherwise."""
        gone: list[Outbound] = [Notice(strings.DRAFT_OPEN_GONE, "warning")]
        number = value.removeprefix(OPEN)
        row = await session.get(Conversation, int(number)) if number.isdigit() else None
        doc = self._doc(row)
        flow_id = self.drafts.report_flow(doc.dialog if doc else None)
        dialog = self.dialogs.get(flow_id or "")
        if row is None or doc is None or doc.dialog is None or dialog is None:
            return gone
        state = dialog.resume(doc.dialog)
        answers = {k: v for k, v in state.answers.items() if dialog.applies(k, state)}
        person = self.school.person(email)
        allowed = notice_recipients(self.school, answers, row.user_email)
        if person is None or person.email not in allowed:
            await record_refusal(session, email=email, action="draft_open", report_id=None, now=now)
            return [Notice(strings.DRAFT_OPEN_REFUSED, "error")]
        await record_event(
            session,
            kind="draft_opened",
            at=now,
            actor_email=person.email,
            detail={"conversation": row.id, "flow": flow_id},
        )
        reporter = self.school.person(row.user_email)
        who = reporter.name if reporter is not None else row.user_email
        started = format_moment(row.draft_started_at or row.updated_at, self.school.tz)
        kind = self.drafts.kinds.get(dialog.spec.id, dialog.spec.title)
        title = strings.DRAFT_OPENED_TITLE.format(kind=kind, who=who, started=started)
        rows = summary_for(dialog, state).rows
        fields = tuple(CardField(r.label, r.value) for r in rows)
        card_id = f"draft-{row.id}-opened"
        return [Card(card_id=card_id, title=title, text=strings.DRAFT_OPENED_NOTE, fields=fields)]

    def _doc(self, row: Conversation | None) -> ConversationDoc | None:
        if row is None or row.state_enc is None:
            return None
        try:
            return ConversationDoc.from_json(self.cipher.open(row, "state_enc"))
        except Misplaced:
            return None
