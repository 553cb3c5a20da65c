"""The filtering check in chat: the ask's button (or typing "check") starts the check flow, its
answers are recorded when it is finished (a category not blocked files a filtering report at
once), and `checks` lists the recent checks with the spreadsheet of every one.

Who may: the ICT contacts, the DSL, the deputies and the headteacher, checked here on every ask
(the router only recognises the words and the button); a refusal is recorded."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.alerts import AlertDesk
from bot.chat.conversations import LoadedConversation
from bot.delivery.channel import Capabilities
from bot.delivery.messages import (
    Attachment,
    Card,
    CardField,
    FileSource,
    Link,
    Notice,
    Outbound,
)
from bot.monitoring import checks
from bot.monitoring.checks_filing import file_failed_check
from bot.monitoring.checks_schedule import START
from bot.record.events import record_event
from bot.record.refusals import record_refusal
from bot.school.config import HANDLER_ROLES, Role, SchoolConfig
from bot.words import strings
from dialogs.datetimes import format_moment
from dialogs.engine import Dialog, Turn
from dialogs.purposes import CHECK_RESULTS
from storage.crypto import Cipher

log = logging.getLogger(__name__)
CHECK_ROLES = (Role.ICT, *HANDLER_ROLES)
SHOWN = 10  # checks listed by `checks`; the spreadsheet has every one
EVER = date(2000, 1, 1)  # before any check: the spreadsheet lists every one
CSV_PATH = "/api/web/checks.csv"  # the web chat's download (bot/channels/web/check_routes.py)
START_WORDS = frozenset({"check", "filtering check", START})
LIST_WORDS = frozenset({"checks", "filtering checks"})


@dataclass
class CheckCommands:
    school: SchoolConfig
    cipher: Cipher
    desk: AlertDesk
    dialogs: Mapping[str, Dialog]
    capabilities: Mapping[str, Capabilities] = field(default_factory=dict)

    @property
    def dialog(self) -> Dialog | None:
        """The check flow (a school's copy replaces the built-in one by id)."""
        return next((d for d in self.dialogs.values() if d.spec.purpose == "check"), None)

    def filing_flow(self) -> Dialog | None:
        """The report flow a failed check files: the filtering report's."""
        found = self.dialogs.get("filtering")
        if found is not None and found.spec.purpose == "report":
            return found
        return next(
            (d for d in self.dialogs.values() if d.spec.report_kind == "filtering"),
            None,
        )

    def help_for(self, email: str) -> str:
        """What `help` adds for those who may record and see the checks; nothing for others."""
        return "\n\n" + strings.CHECKS_HELP if self.allowed(email) else ""

    def allowed(self, email: str) -> bool:
        person = self.school.person(email)
        return person is not None and any(person.has_role(role) for role in CHECK_ROLES)

    async def _refuse(
        self, session: AsyncSession, email: str, action: str, now: datetime
    ) -> list[Outbound]:
        log.warning("filtering check refused action=%s", action)
        await record_refusal(session, email=email, action=action, report_id=None, now=now)
        return [Notice(strings.CHECK_NOT_ALLOWED, "error")]

    async def command(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        command: str,
        email: str,
        now: datetime,
    ) -> list[Outbound] | None:
        """`check` (start one), `checks` (the recent ones and the spreadsheet); None if
        `command` is neither."""
        if command in START_WORDS:
            return await self.start(session, loaded, email, now)
        if command in LIST_WORDS:
            return await self.list_checks(session, loaded.row.channel, email, now)
        return None

    async def start(
        self, session: AsyncSession, loaded: LoadedConversation, email: str, now: datetime
    ) -> list[Outbound]:
        """Start the check flow (the ask's button, or "check")."""
        if not self.allowed(email):
            return await self._refuse(session, email, "filtering check", now)
        dialog, doc = self.dialog, loaded.doc
        if dialog is None:
            return [Notice(strings.CHECK_NO_FLOW, "error")]
        if doc.dialog is not None:
            current = self.dialogs.get(doc.dialog["flow_id"])
            if current is dialog:  # an ask clicked again: where they are
                return [*dialog.repeat(dialog.resume(doc.dialog))]
            return [Notice(strings.CHECK_FINISH_FIRST, "info")]
        turn = dialog.start(turn=doc.next_turn())
        doc.dialog = turn.state.to_json()
        return [*turn.prompts]

    async def after(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        dialog: Dialog,
        turn: Turn,
        email: str,
        now: datetime,
    ) -> tuple[list[Outbound], bool]:
        """Act on a turn of the check flow; returns the replies and whether the outbox has
        something new. Finished: recorded. Stopped with a category not blocked: recorded as
        far as it went, so the failure is still reported; otherwise nothing is kept."""
        doc = loaded.doc
        if turn.outcome == "continue":
            doc.dialog = turn.state.to_json()
            return [*turn.prompts], False
        doc.dialog = None
        answers = dict(turn.state.answers)
        steps = checks.result_steps(dialog.spec)
        failed = any(answers.get(step_id) == checks.FAILED for step_id in steps)
        if turn.outcome != "completed" and not failed:
            return [*turn.prompts], False
        # Stopped after a category was not blocked: not "nothing was recorded" (the flow's
        # words for a stop), but what happened to it.
        said = turn.prompts if turn.outcome == "completed" else []
        if not self.allowed(email):  # the school file changed while they answered
            return [
                *said,
                *await self._refuse(session, email, "filtering check", now),
            ], False
        check = await checks.record_check(
            session,
            cipher=self.cipher,
            spec=dialog.spec,
            answers=answers,
            email=email,
            channel=loaded.row.channel,
            now=now,
        )
        log.info("filtering check recorded check_id=%s failed=%s", check.id, check.failed)
        if not check.failed:
            return [*said, Notice(strings.CHECK_RECORDED, "success")], False
        filing = self.filing_flow()
        if filing is None:  # check_report_kinds makes sure a filtering flow exists
            return [*said, Notice(strings.CHECK_RECORDED, "success")], False
        typed = {key: str(answers.get(key) or "") for key in ("device", "location", "action")}
        report = await file_failed_check(
            session,
            desk=self.desk,
            flow=filing.spec,
            check=check,
            typed=typed,
            labels=self.labels(),
        )
        template = strings.CHECK_RECORDED_FAILED if said else strings.CHECK_STOPPED_FAILED
        text = template.format(reference=report.reference)
        return [*said, Notice(text, "urgent" if report.urgent else "warning")], True

    def labels(self) -> dict[str, str]:
        """Option value -> words: the check flow's user groups, tests and results."""
        dialog = self.dialog
        found: dict[str, str] = {}
        if dialog is not None:
            for step in dialog.spec.steps:
                found.update({o.value: o.label for o in step.options})
        return found

    async def list_checks(
        self, session: AsyncSession, channel: str, email: str, now: datetime
    ) -> list[Outbound]:
        """The latest checks, with the spreadsheet of every check attached."""
        if not self.allowed(email):
            return await self._refuse(session, email, "checks", now)
        recent = await checks.recent_checks(session, cipher=self.cipher, limit=SHOWN)
        if not recent:
            return [Notice(strings.CHECKS_NONE, "info")]
        every = await checks.checks_between(
            session,
            first=EVER,
            last=now.astimezone(self.school.tz).date(),
            cipher=self.cipher,
            tz=self.school.tz,
        )
        attachment = self.csv_attachment(every, now)
        card = Card(
            card_id="filtering-checks",
            title=strings.CHECKS_TITLE.format(n=len(every)),
            text=strings.CHECKS_TEXT.format(shown=len(recent)),
            fields=tuple(self._line(record) for record in recent),
            attachments=(attachment,),
        )
        await record_event(
            session,
            kind="filtering_checks_shown",
            at=now,
            actor_email=email,
            detail={
                "channel": channel,
                "checks": len(every),
                # Where the file leaves with the replies (Slack uploads it): an export.
                "file": attachment.filename if self._sends_files(channel) else None,
            },
        )
        return [card]

    def _sends_files(self, channel: str) -> bool:
        return self.capabilities.get(channel, Capabilities()).files_with_replies

    def _line(self, record: checks.CheckRecord) -> CardField:
        labels = self.labels()
        failed = [c.name for c in checks.categories() if record.results.get(c.id) == checks.FAILED]
        person = self.school.person(record.checked_by)
        text = strings.CHECKS_LINE.format(
            who=person.name if person is not None else record.checked_by,
            device=record.device,
            location=record.location,
            group=labels.get(record.user_group, record.user_group),
        )
        if failed:
            text += " " + strings.CHECKS_LINE_FAILED.format(
                categories="; ".join(failed), reference=record.report_reference or ""
            )
        else:
            text += " " + strings.CHECKS_LINE_PASSED
        return CardField(format_moment(record.checked_at, self.school.tz), text)

    async def spreadsheet(
        self, session: AsyncSession, *, email: str, channel: str, now: datetime
    ) -> Attachment | None:
        """The CSV of every check, for someone allowed (checked now, and a refusal recorded:
        None); its export recorded, with the channel it left by."""
        if not self.allowed(email):
            await self._refuse(session, email, "checks file", now)
            return None
        every = await checks.checks_between(
            session,
            first=EVER,
            last=now.astimezone(self.school.tz).date(),
            cipher=self.cipher,
            tz=self.school.tz,
        )
        attachment = self.csv_attachment(every, now)
        await record_event(
            session,
            kind="filtering_checks_exported",
            at=now,
            actor_email=email,
            detail={"channel": channel, "checks": len(every), "file": attachment.filename},
        )
        return attachment

    def csv_attachment(self, records: Sequence[checks.CheckRecord], now: datetime) -> Attachment:
        names = {p.email: p.name for p in self.school.people}
        data = checks.checks_csv(records, labels=self.labels(), names=names, tz=self.school.tz)
        day = now.astimezone(self.school.tz).date().isoformat()
        return Attachment(
            filename=f"filtering-checks-{day}.csv",
            media_type=checks.CSV_MEDIA_TYPE,
            data=data,
            title=strings.CHECKS_FILE_TITLE,
            # The web chat shows this link; the file is made afresh, for whoever is allowed.
            link=Link(strings.CHECKS_CSV_LINK, CSV_PATH),
            source=FileSource("checks_csv", 0),  # Teams offers it, made afresh on Allow
        )


__all__ = ["CHECK_RESULTS", "CheckCommands"]
