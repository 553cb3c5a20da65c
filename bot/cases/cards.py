"""What an alert says: built when it is sent, from the case as it is then."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_object_session

from bot.cases import closures, cover, low_level, nothing_done, recipients
from bot.cases.drill_card import drill_card
from bot.cases.referral_contacts import out_of_hours_lines, still_worried
from bot.cases.retention import Rule
from bot.delivery.messages import Card, CardField, Notice, Option, Outbound
from bot.reports import kinds, subjects
from bot.reports.menu import OFFER, main_menu
from bot.reports.offers import open_offer
from bot.reports.service import read_answers
from bot.reports.urgency import title_prefix, urgency_label
from bot.school.config import SchoolConfig
from bot.school.rota import Cover
from bot.school.terms import Closure
from bot.words import strings
from dialogs.datetimes import format_moment
from dialogs.loader import Flow
from dialogs.model import OfferSpec
from storage.crypto import Cipher
from storage.models import Outbox, Report


@dataclass(frozen=True)
class DutyReads:
    """What the card of a case reads from the database: the closures recorded in chat for the
    day it was made, and the cover accepted in chat in force when it was alerted."""

    closed: list[Closure]
    covers: list[Cover]


@dataclass
class _Batch:
    """One batch of the outbox: what its cards read, by report id, read once whatever the
    number of recipients; each report's answers, decrypted once; and each case card, made once
    for everyone it goes to (a card that is not theirs never gets this far: `kept_out`)."""

    duty: dict[int, DutyReads]
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)
    cards: dict[tuple[int, int], Card] = field(default_factory=dict)  # (report id, level)


# The rows whose card is the case's own (with who was on duty), for which a batch reads ahead.
_CASE_CARD_KINDS = frozenset({"alert", "update"})


@dataclass(frozen=True)
class CardMaker:
    school: SchoolConfig
    cipher: Cipher
    flows: dict[str, Flow]
    batch: _Batch | None = field(default=None, repr=False)  # set by `prepare`

    async def prepare(
        self, session: AsyncSession, rows: Sequence[Outbox], reports: Mapping[int, Report]
    ) -> CardMaker:
        """This maker for one batch of the outbox: the closures and cover of each report a
        case card is made for, read once in the caller's transaction."""
        wanted = {row.report_id for row in rows if row.kind in _CASE_CARD_KINDS}
        duty = {
            report.id: await self._read_duty(session, report)
            for report_id in wanted
            if (report := reports.get(report_id or 0)) is not None and not report.drill
        }
        return replace(self, batch=_Batch(duty))

    async def messages_for(
        self, row: Outbox, report: Report, *, linked: Report | None = None
    ) -> list[Outbound]:
        """The messages one outbox row delivers (`linked`: the concern filed with a report)."""
        if report.drill:  # its alert, reminders and updates: the drill's card, always marked
            return [drill_card(self.school, report, level=row.level if row.kind == "alert" else 0)]
        if row.kind == "receipt":
            return self.receipt(report, linked, offer=await self.offer_for(report))
        if row.kind == "seen":
            who = self.name(report.acknowledged_by)
            at = self._when(report.acknowledged_at)
            text = strings.SEEN_BY_DSL.format(reference=report.reference, who=who, at=at)
            return [Notice(text, "success")]
        if row.kind == "review":
            return [self.review_notice(report, row.level)]
        if self.kept_out(report, row.recipient_email):
            return [self.passed_on(report)]
        if row.kind == nothing_done.KIND:
            who, at = self.name(report.acknowledged_by), self._when(report.acknowledged_at)
            return [nothing_done.notice(report, row.level, who=who, at=at)]
        if row.kind == "ict":
            return [self._ict_card(report, (await self._answers(report))["rows"])]
        level = row.level if row.kind == "alert" else 0
        made = self.batch.cards.get((report.id, level)) if self.batch is not None else None
        if made is None:
            # Decrypted only for a card that shows them (most schools' alerts do not).
            shown = self.shows_answers(report)
            rows = (await self._answers(report))["rows"] if shown else []
            duty = await self._duty(report)
            made = self.case_card(report, rows, level=level, closed=duty.closed, covers=duty.covers)
            if self.batch is not None:
                self.batch.cards[report.id, level] = made
        return [made]

    async def _answers(self, report: Report) -> dict[str, Any]:
        """The report's answers, decrypted once for a batch's cards."""
        if self.batch is None:
            return await read_answers(cipher=self.cipher, report=report)
        found = self.batch.answers.get(report.id)
        if found is None:
            found = await read_answers(cipher=self.cipher, report=report)
            self.batch.answers[report.id] = found
        return found

    async def _duty(self, report: Report) -> DutyReads:
        """The closures and cover of the report's card: as the batch read them, or read now
        through the session that loaded the report (none for a report without one)."""
        if self.batch is not None and report.id in self.batch.duty:
            return self.batch.duty[report.id]
        session = async_object_session(report)
        if session is None:
            return DutyReads([], [])
        return await self._read_duty(session, report)

    async def _read_duty(self, session: AsyncSession, report: Report) -> DutyReads:
        # The closures recorded in chat for the day the report was made (the school file's are
        # in the config), and the cover in force when it was alerted: only a rota's duty reads
        # it, and an allegation never follows the rota (recipients.duty_for).
        closed = await closures.on_day_of(session, self.school, report.created_at)
        if not recipients.follows_rota(self.school, report):
            return DutyReads(closed, [])
        covers = await cover.in_force(session, recipients.alerted_moment(report))
        return DutyReads(closed, covers)

    def kept_out(self, report: Report, email: str) -> bool:
        """Whether this person may be what the report is about, or it is an allegation that is
        not theirs to handle: their card says only that it was passed on."""
        if not report.allegation:
            return False
        found = subjects.stored(self.cipher, report) or subjects.Subjects(resolved=False)
        return recipients.kept_out(report, recipients.plan_for(self.school, report, found), email)

    def passed_on(self, report: Report) -> Card:
        """The neutral card that replaces a case's card for someone it must not reach."""
        title = strings.PASSED_ON_TITLE.format(reference=report.reference or "")
        return Card(card_id=f"case-{report.id}", title=title, text=strings.PASSED_ON)

    def receipt(
        self, report: Report, linked: Report | None, *, offer: OfferSpec | None = None
    ) -> list[Outbound]:
        """The reporter's confirmation: the reference, what to do now if urgent, what it is
        linked to, then the menu (led by the flow's offer, when it makes one)."""
        template = strings.SUBMITTED_URGENT if report.urgent else strings.SUBMITTED
        text = template.format(reference=report.reference) + "\n\n" + still_worried(self.school)
        replies: list[Outbound] = [Notice(text, "success")]
        if linked is not None:
            filed_with = linked.id > report.id and linked.subcategory == "possibly_illegal"
            text = strings.LINKED_CONCERN if filed_with else strings.LINKED_REPORT
            replies.append(Notice(text.format(reference=linked.reference), "warning"))
        menu = main_menu(self.school, self.flows.values(), report.reporter_email, again=True)
        if offer is not None:
            replies.append(Notice(offer.text, "guidance"))
            taken = Option(f"{OFFER}{report.reference}", offer.label)
            menu = replace(menu, options=(taken, *menu.options))
        return [*replies, menu]

    async def offer_for(self, report: Report) -> OfferSpec | None:
        """The offer of the flow a report was sent with, when its answers call for it and the
        report is not linked to another yet."""
        flow = self.flows.get(report.flow_id or "")
        if flow is None or flow.offer is None or report.linked_report_id is not None:
            return None  # nothing to decrypt for
        answers = (await self._answers(report))["answers"]
        return open_offer(flow, report, answers)

    def case_card(
        self,
        report: Report,
        rows: list[dict[str, Any]],
        *,
        level: int = 0,
        details: bool = False,
        closed: Sequence[Closure] = (),
        covers: Sequence[Cover] = (),
    ) -> Card:
        """The case as the safeguarding team sees it, with the actions open to them."""
        early = report.status == "in_progress" and not details
        fields = [
            CardField(strings.CARD_REFERENCE, report.reference or ""),
            CardField(
                strings.CARD_KIND, strings.URGENT_TO_FOLLOW if early else self.kind_label(report)
            ),
            CardField(strings.CARD_URGENCY, urgency_label(report)),
            CardField(strings.CARD_REPORTED_BY, self.name(report.reporter_email)),
            CardField(strings.CARD_REPORTED, self._when(report.submitted_at or report.created_at)),
            CardField(strings.CARD_STATUS, self.status_label(report)),
        ]
        if early:  # whom it is about is not known yet: nothing of the report, nor who made it
            del fields[3]
        fields += self._on_duty(report, closed, covers)
        if report.allegation:
            fields.append(CardField(strings.CARD_ALLEGATION, strings.ALLEGATION_NOTE))
            fields += self.allegation_fields(report)
        if early:
            fields.append(CardField(strings.CARD_DETAILS, strings.STILL_ANSWERING))
        elif self.shows_answers(report, details=details):
            fields += [CardField(r["label"], r["answer"]) for r in rows]
            if report.status == "in_progress":
                fields.append(CardField(strings.CARD_DETAILS, strings.STILL_ANSWERING))
        else:
            fields.append(CardField(strings.CARD_DETAILS, strings.DETAILS_ON_VIEW))
        texts = []
        if level > 0 and report.case_status == "open":
            texts.append(strings.REMINDER.format(n=level))
        if level == recipients.TRUST_LEVEL and report.case_status == "open":
            texts.append(strings.TRUST_ESCALATED)
        if not self.school.is_school_hours(report.created_at, closures=closed):
            texts.append(self._out_of_hours(report))
        return Card(
            card_id=f"case-{report.id}",
            title=self._title(report),
            tone="urgent" if report.urgent and report.case_status == "open" else "warning",
            text="\n\n".join(texts) or None,
            fields=tuple(fields),
            actions=self._actions(report),
            footer=self._footer(report),
        )

    def shows_answers(self, report: Report, *, details: bool = False) -> bool:
        """Whether the case's card shows the report's answers: never while it is still being
        answered (unless its details are asked for), else by the school's setting."""
        if report.status == "in_progress" and not details:
            return False
        return details or self.school.alerts.details_in_alert

    def _on_duty(
        self, report: Report, closed: Sequence[Closure], covers: Sequence[Cover]
    ) -> list[CardField]:
        """Who was on duty when it was alerted, by the school's rota and the cover accepted
        by then (none without a rota)."""
        duty = recipients.duty_for(self.school, report, closed, covers)
        if duty is None or not duty.emails:
            return []
        names = ", ".join(self.name(email) for email in duty.emails)
        label = strings.CARD_ON_DUTY if duty.in_hours else strings.CARD_ON_DUTY_OUT_OF_HOURS
        return [CardField(label, names)]

    def allegation_fields(self, report: Report) -> list[CardField]:
        """For whoever handles an allegation: who was left out of it and why, and the LADO."""
        found = subjects.stored(self.cipher, report)
        fields = []
        if found is not None and (found.left_out or found.notes):
            lines = [self._left_out_line(email, why) for email, why in found.left_out.items()]
            fields.append(CardField(strings.LEFT_OUT, "\n".join([*lines, *found.notes])))
        fields += low_level.card_fields(report)
        lado = self.school.allegations.lado
        if lado is not None:
            contact = strings.LADO_CONTACT.format(name=lado.name, phone=lado.phone)
            fields.append(CardField(strings.LADO, contact))
        return fields

    def _left_out_line(self, email: str, why: str) -> str:
        person = self.school.person(email)
        roles = ", ".join(str(r) for r in person.roles) if person else strings.NOT_IN_SCHOOL_FILE
        name = person.name if person else email
        return strings.LEFT_OUT_LINE.format(name=name, roles=roles, why=why)

    def kind_label(self, report: Report) -> str:
        flow = self.flows.get(report.flow_id)
        label = report.category or ""
        if flow is not None:
            for step in flow.spec.steps:
                if step.records == "category":
                    label = {o.value: o.label for o in step.options}.get(label, label)
        if report.subcategory == "possibly_illegal":
            label = strings.POSSIBLY_ILLEGAL
        known = kinds.find(report.kind)
        prefix = known.label if known else report.kind
        return f"{prefix}: {label}" if label else prefix

    def status_label(self, report: Report) -> str:
        if report.case_status == "closed":
            return strings.CASE_CLOSED_ON.format(when=self._when(report.closed_at))
        if report.case_status == "acknowledged":
            who = self.name(report.acknowledged_by)
            when = self._when(report.acknowledged_at)
            return strings.CASE_ACKNOWLEDGED_BY_ON.format(who=who, when=when)
        if report.status == "abandoned":
            return strings.STATUS_STOPPED
        return strings.STATUS_WAITING

    def _title(self, report: Report) -> str:
        kind = (kinds.find(report.kind) or kinds.default_kind()).alert_title
        return f"{title_prefix(report)}{kind} {report.reference}"

    def _actions(self, report: Report) -> tuple[Option, ...]:
        case = f"{report.id}"
        actions = []
        if report.case_status == "open":
            actions.append(Option(f"case:ack:{case}", strings.CASE_ACKNOWLEDGE, "primary"))
        actions += [
            Option(f"case:view:{case}", strings.CASE_VIEW),
            Option(f"case:note:{case}", strings.CASE_ADD_NOTE),
            Option(f"case:action:{case}", strings.CASE_RECORD_ACTION),
        ]
        if report.case_status == "closed":
            actions.append(Option(f"case:reopen:{case}", strings.CASE_REOPEN))
        else:
            actions.append(Option(f"case:recategorise:{case}", strings.CASE_RECATEGORISE))
            actions.append(Option(f"case:close:{case}", strings.CASE_CLOSE, "danger"))
        return tuple(actions)

    def _footer(self, report: Report) -> str | None:
        if report.case_status == "acknowledged":
            return strings.CASE_ACKNOWLEDGED_BY.format(who=self.name(report.acknowledged_by))
        return None

    def _ict_card(self, report: Report, rows: list[dict[str, Any]]) -> Card:
        # Only the steps the report's flow marks `share_with: [ict]`: nothing that names or
        # identifies a pupil. A flow no longer loaded shares nothing.
        flow = self.flows.get(report.flow_id)
        shared = flow.spec.shared_with("ict") if flow is not None else ()
        fields = [CardField(strings.CARD_REFERENCE, report.reference or "")]
        fields += [CardField(r["label"], r["answer"]) for r in rows if r["step"] in shared]
        kind = (kinds.find(report.kind) or kinds.default_kind()).alert_title
        return Card(
            card_id=f"ict-{report.id}",
            title=f"{kind} {report.reference}",
            text=strings.ICT_NOTE,
            fields=tuple(fields),
        )

    def _out_of_hours(self, report: Report) -> str:
        return "\n".join([strings.OUT_OF_HOURS, *out_of_hours_lines(self.school, report)])

    def review_notice(self, report: Report, rule: int) -> Notice:
        """A closed case due for its retention review, saying by which rule (retention.Rule)."""
        ref, closed, kept = report.reference, self._when(report.closed_at), self.school.retention
        if rule == Rule.CHILD_PROTECTION:
            years, template = kept.review_after_years, strings.REVIEW_CHILD_PROTECTION
        elif rule == Rule.ALLEGATION:
            years, template = kept.allegation_years, strings.REVIEW_ALLEGATION
        elif rule == Rule.FILTERING:
            years, template = kept.filtering_years, strings.REVIEW_FILTERING
        elif rule == Rule.REMOVAL:
            text = strings.REVIEW_REMOVAL.format(reference=ref, closed=closed)
            return Notice(text, "warning")
        else:
            years, template = kept.review_after_years, strings.REVIEW_NO_BIRTH_DATE
        return Notice(template.format(reference=ref, closed=closed, years=years), "warning")

    def name(self, email: str | None) -> str:
        person = self.school.person(email) if email else None
        return person.name if person else (email or strings.SOMEONE)

    def _when(self, moment: datetime | None) -> str:
        return format_moment(moment, self.school.tz) if moment else ""
