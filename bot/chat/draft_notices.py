"""What is said about an unfinished report, and to whom: the reminders to whoever started it,
the notice to the DSL before it is purged. Never an answer: the kind, who, and when."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.briefings import drafts as briefing_drafts
from bot.cases import cover, cover_messages, recipients
from bot.cases.cards import CardMaker
from bot.delivery.messages import Card, Notice, Option, Outbound
from bot.monitoring import checks_schedule, digest, review
from bot.monitoring.review_chat import outbox_messages
from bot.reports import kinds, subjects
from bot.school.config import Role, SchoolConfig
from bot.words import strings
from dialogs.datetimes import format_moment
from dialogs.loader import Flow
from storage.models import Outbox, Report

REMINDER = "draft_idle"  # after `remind_after` idle: once per idle period
NEXT_DAY = "draft_next_day"  # the next school day's morning: once per idle period
NOTICE = "draft_notice"  # to the DSL (or the allegation's route), before the purge
OPEN = "draft:open:"  # the notice's button, then the conversation's id


@dataclass(frozen=True)
class DraftSettings:
    """When a draft's reporter is reminded, when the DSL is told, and when it is purged; and
    the report flows, by id, with the words that name their kind ("online-safety concern"):
    a draft of anything else (a case note, a self-audit) is purged without a word."""

    remind_after: timedelta = timedelta(minutes=30)
    morning: time = time(8, 30)
    retention: timedelta = timedelta(hours=72)
    grace: timedelta = timedelta(hours=48)  # after the DSL's notice, before the purge
    kinds: Mapping[str, str] = field(default_factory=dict)

    def report_flow(self, doc_dialog: dict[str, Any] | None) -> str | None:
        """The report flow a draft is of, or None for any other dialog."""
        flow_id = str((doc_dialog or {}).get("flow_id", ""))
        return flow_id if flow_id in self.kinds else None


def kind_words_of(flows: Iterable[Flow]) -> dict[str, str]:
    """Each report flow's id, with the words the messages name its kind by."""
    found = {}
    for flow in flows:
        if flow.spec.purpose != "report":
            continue
        known = kinds.find(flow.spec.report_kind)
        found[flow.id] = known.label.lower() if known is not None else flow.spec.title
    return found


def has_answers(dialog: dict[str, Any] | None) -> bool:
    return bool(dialog and dialog.get("answers"))


def notice_recipients(
    school: SchoolConfig, answers: dict[str, Any], reporter: str
) -> tuple[str, ...]:
    """Who is told of a draft about to be purged: the DSL and deputies as for an alert, or, for
    a draft that says it is about an adult at school, only the allegation's route (KCSIE part
    4). Anyone its typed answers may name is left out, and so is its reporter (reminded
    already); if that leaves nobody, the headteacher alone, unless they may be named."""
    allegation = answers.get("about_adult") == "yes"
    about_head = answers.get("adult_is_head") == "yes"
    found = subjects.find_subjects(school, answers, about_head=allegation and about_head)
    report = Report(allegation=allegation, allegation_about_head=about_head, urgent=False)
    plan = recipients.plan_for(school, report, found)
    first = plan.levels[0].emails if plan.levels else ()
    told = tuple(e for e in first if e != reporter)
    if told:
        return told
    heads = (p.email for p in school.people_with(Role.HEADTEACHER))
    return tuple(e for e in heads if e not in found.emails and e != reporter)


def about(flow_id: str, started: datetime | None, reporter: str) -> dict[str, Any]:
    """What a draft's messages may name, stored with their outbox rows."""
    return {
        "flow_id": flow_id,
        "started_at": started.isoformat() if started else None,
        "reporter": reporter,
    }


@dataclass(frozen=True)
class OutboxWords:
    """The outbox's composer: the cases' cards for rows about a report, the words here for the
    rows about a draft."""

    cards: CardMaker
    school: SchoolConfig
    drafts: DraftSettings

    async def prepare(
        self, session: AsyncSession, rows: Sequence[Outbox], reports: Mapping[int, Report]
    ) -> OutboxWords:
        """These words for one batch: the cards' reads (the rows about drafts need none)."""
        return replace(self, cards=await self.cards.prepare(session, rows, reports))

    async def messages_for(
        self, row: Outbox, report: Report | None, *, linked: Report | None = None
    ) -> list[Outbound]:
        if row.kind in checks_schedule.KINDS:  # the ICT lead asked to run a filtering check
            return checks_schedule.ask_messages(row)
        if row.kind in review.OUTBOX_KINDS:
            return outbox_messages(row, self.school)
        if row.kind == briefing_drafts.KIND:  # a scheduled briefing for the DSL to approve
            return briefing_drafts.messages(row)
        if row.kind == digest.KIND:  # the week's low-severity monitoring alerts
            return digest.messages(row, self.school)
        if row.conversation_id is None:
            assert report is not None, f"outbox row {row.id} names no report"
            return await self.cards.messages_for(row, report, linked=linked)
        if row.kind in cover.KINDS:  # a cover request's: its id in conversation_id
            return cover_messages.messages(row, self.school)
        return self.draft_messages(row)

    def draft_messages(self, row: Outbox) -> list[Outbound]:
        facts = row.about or {}
        flow_id = str(facts.get("flow_id", ""))
        kind = self.drafts.kinds.get(flow_id, flow_id.replace("_", " "))
        started_at = facts.get("started_at")
        moment = datetime.fromisoformat(started_at) if started_at else row.created_at
        started = format_moment(moment, self.school.tz)
        if row.kind == NOTICE:
            reporter = str(facts.get("reporter", ""))
            person = self.school.person(reporter)
            who = f"{person.name} ({reporter})" if person is not None else reporter
            purge_at = format_moment(row.created_at + self.drafts.grace, self.school.tz)
            text = strings.DRAFT_NOTICE_TEXT.format(
                who=who, kind=kind, started=started, purge_at=purge_at
            )
            action = Option(f"{OPEN}{row.conversation_id}", strings.DRAFT_OPEN, "primary")
            title = strings.DRAFT_NOTICE_TITLE.format(kind=kind)
            card_id = f"draft-{row.conversation_id}"
            return [
                Card(card_id=card_id, title=title, tone="warning", text=text, actions=(action,))
            ]
        template = (
            strings.DRAFT_REMINDER_NEXT_DAY if row.kind == NEXT_DAY else strings.DRAFT_REMINDER
        )
        return [Notice(template.format(kind=kind, started=started), "info")]
