"""The annual filtering and monitoring review in chat: the invitation's button, answering it
(stopping and carrying on keep every answer), finishing it (the document for governors comes
with the reply), and the typed command `filtering review`.

The questions are the review flow's, with the year's figures, the named roles and the period
written into its intro, prompts and hints when it is asked (the figures as they were when the
review opened). Only the senior leader responsible and the DSL may answer: anyone else is
refused on every action, and each refusal recorded (bot/record/refusals.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.conversations import LoadedConversation
from bot.delivery.messages import Attachment, Card, Notice, Option, Outbound, User
from bot.monitoring import review
from bot.monitoring.checks_use_cases import check_labels
from bot.monitoring.review_document import ReviewDocument, review_html
from bot.monitoring.review_export import document_of, named_roles
from bot.monitoring.review_figures import Figure
from bot.monitoring.review_use_cases import pack_files
from bot.record.events import record_event
from bot.record.refusals import record_refusal
from bot.school.config import SchoolConfig
from bot.words import strings
from bot.words.vocabulary import DIALOG_WORDS
from dialogs.engine import Dialog, DialogState, Turn
from dialogs.loader import Flow, flow_from_spec
from storage.crypto import Cipher
from storage.models import FilteringReview, Outbox

log = logging.getLogger(__name__)
START = "fmreview:start:"
FLOW = "filtering_review"
WORDS = ("filtering", "review")
_EXTRA = "fmreview"  # the conversation's note of the review it is answering


def _lines(figures: Sequence[Figure]) -> str:
    return "; ".join(f"{f.label}: {f.value}" for f in figures) or strings.REVIEW_NO_FIGURES


def outbox_messages(row: Outbox, school: SchoolConfig) -> list[Outbound]:
    """What the review's outbox rows say: the invitation with its button, or that it is done."""
    about = row.about or {}
    year, review_id = about.get("year"), about.get("review_id")
    if row.kind == review.DONE:
        person = school.person(str(about.get("by", "")))
        who = person.name if person is not None else str(about.get("by", ""))
        return [Notice(strings.REVIEW_DONE_NOTICE.format(year=year, who=who), "success")]
    return [
        Card(
            card_id=f"fmreview-{review_id}-invite",
            title=strings.REVIEW_INVITE_TITLE.format(year=year),
            text=strings.REVIEW_INVITE,
            actions=(Option(f"{START}{review_id}", strings.REVIEW_START_OPTION, "primary"),),
        )
    ]


class ReviewCommands:
    def __init__(
        self,
        *,
        school: SchoolConfig,
        cipher: Cipher,
        flows: dict[str, Flow],
        clock: Callable[[], datetime],
        channels: Sequence[str] = (),
    ) -> None:
        self.school = school
        self.cipher = cipher
        self.flow = flows.get(FLOW)
        self.check_labels = check_labels(f.spec for f in flows.values())
        self.clock = clock
        self.channels = channels  # where the others are told it is complete
        self._dialogs: dict[tuple[int, int], Dialog] = {}

    # --- the questions, with the year's figures in them

    def dialog_for(self, found: FilteringReview) -> Dialog | None:
        if self.flow is None:
            return None
        key = (found.id, self.flow.spec.version)
        dialog = self._dialogs.get(key)
        if dialog is None:
            figures = review.figures_of(found)
            fields = {
                "period": review.period_of(self.school, found).label(),
                "roles": "; ".join(f"{role}: {who}" for role, who in named_roles(self.school)),
                "figures": _lines(figures),
                "reports_figures": _lines([f for f in figures if f.section != "checks"]),
                "checks_figures": _lines([f for f in figures if f.section == "checks"]),
            }
            spec = self.flow.spec.model_dump(mode="json")
            spec["intro"] = spec["intro"].format_map(fields)
            for step in spec["steps"]:
                for name in ("prompt", "hint"):
                    if step.get(name):
                        step[name] = step[name].format_map(fields)
            flow = flow_from_spec(spec)
            dialog = Dialog(flow, tz=self.school.tz, clock=self.clock, words=DIALOG_WORDS)
            self._dialogs[key] = dialog
        return dialog

    # --- answering

    async def refused(self, session: AsyncSession, email: str, now: datetime) -> list[Outbound]:
        await record_refusal(session, email=email, action=review.ACTION, report_id=None, now=now)
        log.warning("filtering review refused")
        return [Notice(strings.REVIEW_NOT_ALLOWED, "error")]

    async def on_button(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        value: str,
        user: User,
        now: datetime,
    ) -> list[Outbound]:
        """The invitation's button: start the review, or carry on where they stopped."""
        if not review.may_answer(self.school, user.email):
            return await self.refused(session, user.email, now)
        try:
            review_id = int(value.removeprefix(START))
        except ValueError:
            return [Notice(strings.STALE_BUTTON, "info")]
        found = await session.get(FilteringReview, review_id)
        if found is None:
            return [Notice(strings.STALE_BUTTON, "info")]
        return await self._open(session, loaded, found, now)

    async def _open(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        found: FilteringReview,
        now: datetime,
    ) -> list[Outbound]:
        if found.status != "open":
            return [self._done_card(found, await self._document(session, found))]
        doc = loaded.doc
        if doc.dialog is not None and doc.extra.get(_EXTRA) != found.id:
            return [Notice(strings.REVIEW_FINISH_FIRST, "info")]
        dialog = self.dialog_for(found)
        if dialog is None:
            return [Notice(strings.REVIEW_NO_FLOW, "error")]
        if doc.dialog is not None:  # already answering it: the question again
            return [*dialog.repeat(dialog.resume(doc.dialog))]
        answers = review.saved_answers(self.cipher, found)
        state = DialogState.resumed(dialog.spec, answers, doc.next_turn())
        doc.dialog, doc.extra[_EXTRA] = state.to_json(), found.id
        intro = [Notice(dialog.spec.intro, "guidance")] if not state.answers else []
        return [*intro, *dialog.repeat(state)]

    async def review_of(
        self, session: AsyncSession, loaded: LoadedConversation
    ) -> FilteringReview | None:
        review_id = loaded.doc.extra.get(_EXTRA)
        return await session.get(FilteringReview, int(review_id)) if review_id else None

    async def after(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        found: FilteringReview,
        dialog: Dialog,
        turn: Turn,
        user: User,
        now: datetime,
    ) -> list[Outbound]:
        """Every answer is kept as it is given; finishing completes the review."""
        doc = loaded.doc
        if not review.may_answer(self.school, user.email):  # taken off the file mid-way
            doc.dialog = None
            doc.extra.pop(_EXTRA, None)
            return await self.refused(session, user.email, now)
        if found.status != "open":
            doc.dialog = None
            doc.extra.pop(_EXTRA, None)
            return [self._done_card(found, await self._document(session, found))]
        answers: dict[str, Any] = dict(turn.state.answers)
        if turn.outcome == "continue":
            await review.save_progress(session, cipher=self.cipher, review=found, answers=answers)
            doc.dialog = turn.state.to_json()
            return [*turn.prompts]
        doc.dialog = None
        doc.extra.pop(_EXTRA, None)
        if turn.outcome != "completed":
            await review.save_progress(session, cipher=self.cipher, review=found, answers=answers)
            return [*turn.prompts]
        await review.complete(
            session,
            cipher=self.cipher,
            school=self.school,
            review=found,
            answers=turn.answers(dialog),
            email=user.email,
            channels=self.channels,
            now=now,
        )
        await session.refresh(found)  # as the database has it: this completion, or the first
        files = await self._document(session, found)
        await record_event(
            session,
            kind="filtering_review_shown",
            at=now,
            actor_email=user.email,
            detail={"year": found.year, "channel": loaded.row.channel},
        )
        return [*turn.prompts, self._done_card(found, files)]

    # --- the typed command

    async def command(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        words: list[str],
        user: User,
        now: datetime,
    ) -> list[Outbound] | None:
        """`filtering review`: this year's review to answer (opened now if its day has come and
        it was not), or its document once complete. None if `words` is not this command."""
        if tuple(words[:2]) != WORDS:
            return None
        if not review.may_answer(self.school, user.email):
            return await self.refused(session, user.email, now)
        year = review.review_year(self.school, now.astimezone(self.school.tz).date())
        found, _ = await review.open_review(
            session,
            school=self.school,
            year=year,
            channels=self.channels,
            now=now,
            opened_by=user.email,
        )
        if found.status != "open":
            await record_event(
                session,
                kind="filtering_review_shown",
                at=now,
                actor_email=user.email,
                detail={"year": found.year, "channel": loaded.row.channel},
            )
        return await self._open(session, loaded, found, now)

    # --- the document

    async def document(self, found: FilteringReview) -> ReviewDocument:
        assert self.flow is not None
        return document_of(found, school=self.school, cipher=self.cipher, spec=self.flow.spec)

    async def _document(
        self, session: AsyncSession, found: FilteringReview
    ) -> tuple[Attachment, ...]:
        """The review pack: the document and the year's checks, for the completion card."""
        if self.flow is None:
            return ()
        return await pack_files(
            session,
            school=self.school,
            cipher=self.cipher,
            found=found,
            html=review_html(await self.document(found)),
            labels=self.check_labels,
        )

    def _done_card(self, found: FilteringReview, files: tuple[Attachment, ...]) -> Card:
        when = (
            found.completed_at.astimezone(self.school.tz).strftime("%d/%m/%Y")
            if found.completed_at
            else ""
        )
        text = strings.REVIEW_COMPLETED.format(who=self._name(found.completed_by), when=when)
        return Card(
            card_id=f"fmreview-{found.id}-done",
            title=strings.REVIEW_DOC_TITLE.format(year=found.year),
            tone="success",
            text=text,
            attachments=files,
        )

    def _name(self, email: str | None) -> str:
        person = None if email is None else self.school.person(email)
        return person.name if person is not None else (email or "")
