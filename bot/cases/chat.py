"""The case commands of the chat: alert buttons, case flows, the case list and "my reports".

Every action checks the person's role on the server (services.cases.authorise) before it runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import completed, export, labels, referral_contacts, use_cases
from bot.cases import service as cases
from bot.cases.alerts import AlertDesk
from bot.cases.cards import CardMaker
from bot.cases.keys import case_key
from bot.chat.conversations import LoadedConversation
from bot.delivery import addresses
from bot.delivery.addresses import ADDRESSED_CHANNELS
from bot.delivery.channel import Capabilities
from bot.delivery.messages import (
    Card,
    CardField,
    Link,
    Notice,
    Option,
    Outbound,
)
from bot.reports.service import read_answers, reports_by
from bot.school.config import HANDLER_ROLES
from bot.words import strings
from dialogs.datetimes import format_moment
from dialogs.engine import Dialog, Turn
from dialogs.loader import case_flow
from dialogs.model import CaseAction
from storage.models import Report
from storage.scope import in_address_book

# The case flows' actions (their `action:`), each also the verb of its button.
_CASE_ACTIONS: tuple[CaseAction, ...] = get_args(CaseAction)
# Every verb is checked by cases.authorise, which allows a case to exactly those who may view
# it: "export" included, so whoever may view a case may export its chronology, and nobody else.
_VERBS = {"ack", "view", "export", *_CASE_ACTIONS}

__all__ = ["CaseCommands", "case_key"]


@dataclass
class CaseCommands:
    desk: AlertDesk
    cards: CardMaker
    dialogs: dict[str, Dialog]
    # What each channel can do, by name: whether a file leaves with a turn's replies.
    capabilities: Mapping[str, Capabilities] = field(default_factory=dict)

    async def on_button(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        value: str,
        email: str,
        now: datetime,
    ) -> tuple[list[Outbound], bool]:
        """Handle `case:<verb>:<id>`. Returns the replies and whether anything was queued."""
        verb, _, raw_key = value.removeprefix("case:").partition(":")
        if verb == "export":
            return await self.export_chronology(session, raw_key, email, loaded.row.channel, now)
        key = case_key(raw_key)
        report = await cases.find_case(session, key=key) if key and verb in _VERBS else None
        if report is None or report.case_status is None:
            return [Notice(strings.NO_SUCH_CASE, "error")], False
        try:
            await cases.authorise(
                session, self.desk, report=report, email=email, action=verb, now=now
            )
        except cases.NotAllowed:
            return [Notice(strings.NOT_ALLOWED, "error")], False
        if report.drill:  # a test alert: Acknowledge is all there is to it (drills.py)
            return await self._drill_button(session, verb, report, email, now)
        if verb == "ack":
            done = await cases.acknowledge(session, self.desk, report=report, email=email, now=now)
            if not done:
                who = self.cards.status_label(report)
                return [Notice(strings.ALREADY_ACKNOWLEDGED.format(status=who), "info")], False
            return [
                Notice(strings.ACKNOWLEDGED.format(reference=report.reference), "success")
            ], True
        if verb == "view":
            return await self.view(session, report, email, now), False
        if verb == "reopen" and report.case_status != "closed":
            return [Notice(strings.NOT_CLOSED, "info")], False
        if verb == "close" and report.case_status == "closed":
            return [Notice(strings.ALREADY_CLOSED, "info")], False
        if verb == "recategorise" and report.case_status == "closed":
            return [Notice(strings.RECATEGORISE_CLOSED, "info")], False
        return self._start_flow(loaded, verb, report), False

    async def _drill_button(
        self, session: AsyncSession, verb: str, report: Report, email: str, now: datetime
    ) -> tuple[list[Outbound], bool]:
        reference = report.reference
        if verb != "ack":
            return [Notice(strings.DRILL_NOT_A_CASE.format(reference=reference), "info")], False
        if not await cases.acknowledge(session, self.desk, report=report, email=email, now=now):
            who = self.cards.name(report.acknowledged_by)
            text = strings.DRILL_ALREADY_ACKNOWLEDGED.format(reference=reference, who=who)
            return [Notice(text, "info")], False
        return [Notice(strings.DRILL_ACKNOWLEDGED.format(reference=reference), "success")], True

    async def view(
        self,
        session: AsyncSession,
        report: Report,
        email: str,
        now: datetime,
        *,
        recorded_as: str | None = None,
    ) -> list[Outbound]:
        """The whole case: its details and its chronology. The view itself is recorded
        (`recorded_as`: the role it was seen in, when not the school's own, e.g. the trust's
        lead)."""
        rows = (await read_answers(cipher=self.desk.cipher, report=report))["rows"]
        await cases.record_view(session, report=report, email=email, now=now, as_role=recorded_as)
        entries = await cases.chronology(session, self.desk, report=report)
        card = self.cards.case_card(report, rows, details=True)
        lines = tuple(CardField(self._when(e.at), self._describe(e, report)) for e in entries)
        # The file only when asked for: a view must never put a copy into Slack by itself.
        export_button = Option(f"case:export:{report.id}", strings.EXPORT_OPTION)
        history = Card(
            card_id=f"history-{report.id}",
            title=strings.CHRONOLOGY,
            fields=lines,
            actions=(export_button,),
        )
        return [card, history]

    async def export_chronology(
        self, session: AsyncSession, raw_key: str, email: str, channel: str, now: datetime
    ) -> tuple[list[Outbound], bool]:
        """The chronology as a CSV file, for someone who may view the case and asked for it.

        Where the file leaves with this turn's replies (Slack uploads it), its export is
        recorded now, in the transaction that reads the case, as the web chat's download is:
        never a copy the record does not know of, and the file lists its own export. Elsewhere
        it is made again, and recorded, when the web chat's link is opened or Teams' Allow
        pressed.
        """
        sends_files = self.capabilities.get(channel, Capabilities()).files_with_replies
        made = await export.export_chronology(
            session,
            desk=self.desk,
            cards=self.cards,
            case_id=raw_key,
            actor=email,
            channel=channel,
            fmt="csv",
            now=now,
            record=sends_files,
        )
        if isinstance(made, export.Refused):
            text = strings.NO_SUCH_CASE if made.reason == "no_such_case" else strings.NOT_ALLOWED
            return [Notice(text, "error")], False
        page = export.CHRONOLOGY_PATH.format(case_id=made.case_id, extension="html")
        card = Card(
            card_id=f"export-{made.case_id}",
            title=strings.EXPORT_TITLE.format(reference=made.reference),
            text=strings.EXPORT_TEXT,
            # A page only the web chat can open (it needs its sign-in); elsewhere, the file.
            links=(Link(strings.EXPORT_PAGE_LINK, page),),
            attachments=(export.chronology_attachment(made),),
        )
        return [card], False

    def _start_flow(self, loaded: LoadedConversation, verb: str, report: Report) -> list[Outbound]:
        doc = loaded.doc
        current = self.dialogs.get(doc.dialog["flow_id"]) if doc.dialog is not None else None
        if doc.dialog is not None and current is not None and current.spec.purpose == "case":
            busy = Notice(strings.FINISH_CASE_FORM_FIRST.format(title=current.spec.title), "info")
            return [busy, *current.repeat(current.resume(doc.dialog))]
        if doc.dialog is not None:
            doc.extra["paused"] = doc.dialog  # their own report waits; nothing is lost
        dialog = self._case_dialog(cast(CaseAction, verb))
        known = {
            "image_case": self._image_case(report),
            "allegation": bool(report.allegation),
            "filtering_report": report.kind == "filtering",
        }
        context = {name: "yes" if known[name] else "no" for name in dialog.spec.context}
        turn = dialog.start(context, turn=doc.next_turn())
        doc.dialog, doc.extra["case"] = turn.state.to_json(), report.id
        heading = Notice(strings.CASE_FLOW_FOR.format(reference=report.reference), "info")
        contacts = referral_contacts.close_form(self.desk.school, report) if verb == "close" else []
        return [heading, *contacts, *turn.prompts]

    def _case_dialog(self, action: CaseAction) -> Dialog:
        """The case flow with this action (the loader makes sure there is exactly one)."""
        flow = case_flow({d.spec.id: d.flow for d in self.dialogs.values()}, action)
        if flow is None:
            raise LookupError(f"no case flow has action: {action}")
        return self.dialogs[flow.id]

    def _image_case(self, report: Report) -> bool:
        """Whether the report's answers are options its flow marks `image_case: true`."""
        dialog = self.dialogs.get(report.flow_id)
        if dialog is None:
            return False
        spec = dialog.spec
        options = (
            spec.recorded_option("category", report.category),
            spec.recorded_option("subcategory", report.subcategory),
        )
        return any(option is not None and option.image_case for option in options)

    async def finish(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        dialog: Dialog,
        turn: Turn,
        email: str,
        now: datetime,
    ) -> list[Outbound]:
        """A case flow was completed: record it, if the person may still act on the case."""
        report = await cases.find_case(session, key=str(loaded.doc.extra.pop("case", "")))
        if report is None:
            return [Notice(strings.NO_SUCH_CASE, "error")]
        flow_id = dialog.spec.id
        try:
            await cases.authorise(
                session, self.desk, report=report, email=email, action=flow_id, now=now
            )
        except cases.NotAllowed:
            return [Notice(strings.NOT_ALLOWED, "error")]
        answers: dict[str, Any] = turn.answers(dialog)
        action = dialog.spec.action
        assert action is not None  # a case flow has one (FlowSpec checks it)
        changed = await completed.record(
            session, self.desk, action=action, report=report, email=email, answers=answers, now=now
        )
        if not changed:
            return [Notice(strings.CATEGORY_UNCHANGED, "info")]
        # In the form's own words ("Note saved to case …"): the flow's `done`.
        done = dialog.spec.done or strings.CASE_RECORDED
        return [Notice(done.format(reference=report.reference), "success")]

    def resume_paused(self, loaded: LoadedConversation) -> list[Outbound]:
        """Put back the report the person was writing before a case flow interrupted it."""
        paused = loaded.doc.extra.pop("paused", None)
        if paused is None:
            return []
        dialog = self.dialogs.get(paused["flow_id"])
        if dialog is None:
            return []
        loaded.doc.dialog = paused
        return [Notice(strings.BACK_TO_REPORT, "info"), *dialog.repeat(dialog.resume(paused))]

    async def list_open(self, session: AsyncSession, email: str, now: datetime) -> list[Outbound]:
        if not self.handles_cases(email):
            return [Notice(strings.NOT_ALLOWED, "error")]
        visible = await self._visible_open_cases(session, email)
        unreachable = await self._unreachable_handlers(session)
        if not visible:
            return [Notice(strings.NO_OPEN_CASES, "success"), *unreachable]
        fields = tuple(CardField(r.reference or "", self.summary_line(r, now)) for r in visible)
        actions = tuple(Option(f"case:view:{r.id}", f"View {r.reference}") for r in visible[:20])
        return [
            Card(
                card_id="open-cases",
                title=strings.OPEN_CASES.format(n=len(visible)),
                fields=fields,
                actions=actions,
            ),
            *unreachable,
        ]

    async def _unreachable_handlers(self, session: AsyncSession) -> list[Outbound]:
        """On a channel that can message only people who installed the app (Teams), the DSLs
        it cannot reach: they would miss alerts there, and whoever reads the list can act."""
        handlers = self.desk.school.people_with(*HANDLER_ROLES)
        names = []
        for channel in ADDRESSED_CHANNELS.intersection(self.desk.channels):
            with in_address_book(session):  # a trust's, in a trust's deployment
                missing = set(
                    await addresses.unreachable(session, channel, [p.email for p in handlers])
                )
            names += [p.name for p in handlers if p.email.lower() in missing]
        if not names:
            return []
        return [Notice(strings.NOT_ON_TEAMS.format(names=", ".join(names)), "warning")]

    def handles_cases(self, email: str) -> bool:
        return self.desk.school.handles_cases(email)

    async def waiting_notice(self, session: AsyncSession, email: str) -> list[Outbound]:
        """On opening the chat: how many cases this person could acknowledge, if any."""
        waiting = await self.waiting_count(session, email)
        if not waiting:
            return []
        return [Notice(strings.CASES_WAITING.format(n=waiting), "warning")]

    async def waiting_count(self, session: AsyncSession, email: str) -> int:
        return await use_cases.CaseUseCases(self.desk, self.cards).waiting_count(session, email)

    async def _visible_open_cases(self, session: AsyncSession, email: str) -> list[Report]:
        return await use_cases.visible_open_cases(session, self.desk, email)

    async def my_reports(self, session: AsyncSession, email: str) -> list[Outbound]:
        """A reporter's own reports and their status; nothing of what the DSL did or wrote."""
        mine = [r for r in await reports_by(session, reporter_email=email) if r.reference]
        if not mine:
            return [Notice(strings.NO_REPORTS, "info")]
        fields = tuple(CardField(r.reference or "", self._mine_line(r)) for r in mine[:25])
        return [Card(card_id="my-reports", title=strings.MY_REPORTS, fields=fields)]

    def _mine_line(self, report: Report) -> str:
        kind, when = self.cards.kind_label(report), self._when(report.created_at)
        return f"{kind}. {when}. {self._reporter_status(report)}"

    def _reporter_status(self, report: Report) -> str:
        if report.status == "abandoned":
            return strings.MINE_STOPPED
        if report.case_status in {"acknowledged", "closed"}:
            return strings.MINE_SEEN
        return strings.MINE_SENT

    def summary_line(self, report: Report, now: datetime) -> str:
        """A case in a list: urgent or not, its kind, how long it has been open, its state."""
        started = report.alerted_at or report.created_at
        seconds = (now - started).total_seconds()
        hours = seconds / 3600
        if seconds < 60:  # not "Open 0 min."
            age = strings.CASE_OPEN_JUST_NOW
        else:
            age = strings.CASE_OPEN_FOR.format(
                age=f"{hours:.0f} h" if hours >= 1 else f"{max(seconds / 60, 1):.0f} min"
            )
        urgency = "URGENT. " if report.urgent else ""
        kind, status = self.cards.kind_label(report), self.cards.status_label(report)
        return f"{urgency}{kind}. {age} {status}."

    def _describe(self, entry: cases.ChronologyEntry, report: Report) -> str:
        who = self.cards.name(entry.who) if entry.who else "The bot"
        what = strings.EVENT_LABELS.get(entry.what, entry.what)
        flows, extra = self.cards.flows, ""
        if entry.what == "recategorised":
            what = strings.CASE_RECATEGORISED
            extra = f": {labels.category_change(flows, report.flow_id, entry.detail)}"
        if entry.what == "action":
            action = str(entry.detail.get("action"))
            extra = f": {labels.option_label(flows, 'action', 'action', action)}"
        shown = labels.close_answers(flows, entry.detail) if entry.what == "closed" else []
        shown += [
            f"{labels.step_label(flows, entry.what, k)}: {v}" for k, v in (entry.text or {}).items()
        ]
        if shown:
            extra += " — " + " / ".join(shown)
        if entry.what == "closed":
            extra = f" ({labels.decision_labels(flows, entry.detail)})" + extra
        return f"{who}: {what}{extra}"

    def _when(self, moment: datetime | None) -> str:
        return format_moment(moment, self.desk.school.tz) if moment else ""
