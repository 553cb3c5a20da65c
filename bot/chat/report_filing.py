"""What a report flow's turn does to the record: open the urgent report the moment an answer
makes it urgent (and file the linked concern the moment material is said to be possibly
illegal), take the alerts back from whoever an allegation turns out to be about, and
file the finished report with its alerts and the reporter's confirmation, all in the turn's
transaction (the router commits it)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping

from sqlalchemy import select

from bot.cases.alerts import AlertDesk
from bot.chat.turn import TurnContext
from bot.delivery.messages import Notice, Outbound, Summary
from bot.delivery.outbox import enqueue
from bot.reports import allegation_kind
from bot.reports.links import file_linked_concern
from bot.reports.offers import answers_filled_in, open_offer
from bot.reports.service import (
    AnswerRow,
    add_urgent_reasons,
    open_urgent_report,
    read_answers,
    submit_report,
)
from bot.reports.urgency import reasons_text
from bot.words import strings
from dialogs.display import summary_for
from dialogs.engine import Dialog, Turn
from dialogs.prompts import Prompt
from storage.crypto import Cipher
from storage.models import Report

log = logging.getLogger(__name__)


class ReportFiling:
    """The report-side effects of the router's turns."""

    def __init__(self, *, cipher: Cipher, desk: AlertDesk, dialogs: Mapping[str, Dialog]) -> None:
        self.cipher = cipher
        self.desk = desk
        self.dialogs = dialogs

    async def take_offer(self, context: TurnContext, reference: str) -> tuple[list[Outbound], bool]:
        """A confirmation's offer was pressed (a report flow's `offer:`): start the flow it
        offers with the sent report's answers filled in, to be linked to it when sent. Only
        the reporter's own report, only while it is linked to nothing and its answers still
        call for it; otherwise a notice says why and nothing starts. Returns the replies, and
        whether it started."""
        session, email = context.session, context.inbound.user.email
        source = await session.scalar(
            select(Report).where(Report.reference == reference, Report.drill.is_(False))
        )
        if source is None or source.reporter_email != email:
            return [Notice(strings.OFFER_NOT_YOURS, "warning")], False
        if source.linked_report_id is not None:
            linked = await session.get(Report, source.linked_report_id)
            taken = linked.reference if linked is not None else ""
            return [Notice(strings.OFFER_TAKEN.format(reference=taken), "info")], False
        source_dialog = self.dialogs.get(source.flow_id or "")
        flow = source_dialog.flow if source_dialog is not None else None
        answers = (await read_answers(cipher=self.cipher, report=source))["answers"]
        offer = open_offer(flow, source, answers)
        if offer is None or offer.flow not in self.dialogs:
            return [Notice(strings.OFFER_GONE, "info")], False
        filled = answers_filled_in(offer, answers)
        dialog = self.dialogs[offer.flow]
        turn = dialog.start(turn=context.loaded.doc.next_turn(), answers=filled)
        turn.state.linked_to = source.reference
        context.loaded.doc.dialog = turn.state.to_json()
        if turn.new_urgent_reasons:
            await self.mark_urgent(context, dialog, turn)
        log.info("offer taken report_id=%s flow=%s", source.id, offer.flow)
        return [*turn.prompts], True

    async def mark_urgent(self, context: TurnContext, dialog: Dialog, turn: Turn) -> None:
        """An answer made the report urgent: store it at once (or add the new reason to the one
        stored), start its alerts (or refresh the cards already sent), and tell the reporter."""
        doc, now, email = context.loaded.doc, context.now, context.inbound.user.email
        report = None
        if doc.report_id is not None:
            report = await add_urgent_reasons(
                context.session,
                report_id=doc.report_id,
                reasons=turn.new_urgent_reasons,
                actor_email=email,
                now=now,
            )
        first = report is None
        if report is None:
            report = await open_urgent_report(
                context.session,
                cipher=self.cipher,
                flow=dialog.spec,
                reporter_email=email,
                channel=context.inbound.channel,
                answers=turn.answers(dialog),
                reasons=turn.state.urgent_reasons,
                now=now,
            )
            doc.report_id = report.id
            log.warning("urgent report opened report_id=%s", report.id)
        await self.desk.raise_alert(context.session, report=report, now=now)
        if "possibly_illegal" in turn.new_signals and report.linked_report_id is None:
            linked = await file_linked_concern(
                context.session,
                cipher=self.cipher,
                source=report,
                document={"answers": turn.answers(dialog), "rows": []},
                now=now,
            )
            if linked is not None:
                await self.desk.raise_alert(context.session, report=linked, now=now)
        context.queued = True
        template = strings.URGENT_NOW if first else strings.URGENT_ALSO
        reasons = report.urgent_reasons if first else turn.new_urgent_reasons
        said = Notice(template.format(reasons=reasons_text(reasons or [])), "urgent")
        # After the flow's advice (what to do now comes first), before the next question.
        asked = [i for i, prompt in enumerate(turn.prompts) if not isinstance(prompt, Notice)]
        turn.prompts.insert(asked[0] if asked else len(turn.prompts), said)

    async def allegation_so_far(self, context: TurnContext, dialog: Dialog, turn: Turn) -> bool:
        """An urgent report already alerted the team: the moment it is known to be about an
        adult at school (and whom), the team's cards are taken back and the head is told."""
        answers = turn.answers(dialog)
        steps = ("about_adult", allegation_kind.STEP, "adult_is_head", "adult_who")
        said = {k: answers.get(k) for k in steps}
        seen = hashlib.sha256(json.dumps(said, sort_keys=True, default=str).encode()).hexdigest()
        extra, report_id = context.loaded.doc.extra, context.loaded.doc.report_id
        if report_id is None or said["about_adult"] is None or extra.get("allegation_seen") == seen:
            return False
        extra["allegation_seen"] = seen
        queued = await self.desk.allegation_known(
            context.session,
            report_id=report_id,
            answers=answers,
            now=context.now,
        )
        return queued > 0

    async def submit(
        self, context: TurnContext, dialog: Dialog, turn: Turn, *, shown: Prompt
    ) -> None:
        """File the report and queue its alerts and the reporter's confirmation, in the turn's
        transaction. The confirmation is an outbox row like an alert (retried until the channel
        has it, delivered once), not a reply of this turn: a reply that fails to arrive after
        the commit would leave a reporter with no reference, wondering whether to send again.

        `shown`: the summary the person sent, as the router built it for this turn. A dialog
        completes only from its summary, with the answers it showed, so the rows filed are
        those rows, not the same rows built a second time (0.3 ms of every filed report)."""
        summary = shown if isinstance(shown, Summary) else summary_for(dialog, turn.state)
        rows = [
            AnswerRow(row.step_id, dialog.spec.step(row.step_id).prompt, row.label, row.value)
            for row in summary.rows
        ]
        filed = await submit_report(
            context.session,
            cipher=self.cipher,
            flow=dialog.spec,
            reporter_email=context.inbound.user.email,
            channel=context.inbound.channel,
            answers=turn.answers(dialog),
            rows=rows,
            signals=turn.state.signals,
            urgent_reasons=turn.state.urgent_reasons,
            report_id=context.loaded.doc.report_id,
            now=context.now,
            linked_to=turn.state.linked_to,
        )
        report = filed.report
        for filed_report in (report, filed.linked):
            if filed_report is not None:
                await self.desk.raise_alert(context.session, report=filed_report, now=context.now)
        await enqueue(
            context.session,
            report_id=report.id,
            emails=[report.reporter_email],
            channels=[report.channel],
            kind="receipt",
            level=0,
            now=context.now,
        )
        context.loaded.doc.last_reference = report.reference
        context.queued = True
        log.info("report submitted report_id=%s kind=%s", report.id, report.kind)
