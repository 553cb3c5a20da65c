"""The self-audit in chat: the invitation's button, answering (and stopping, resuming, changing
answers until the campaign closes), and the DSL's commands: audit start, status, results,
summary (for governors).

A campaign's questions are the flow spec it stored when it started, so a school editing its
flow file mid-campaign changes nothing for the people already asked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import campaigns, exports, present, results
from bot.audit.invitations import START
from bot.audit.start import AuditStarter, NoAuditFlow
from bot.audit.use_cases import AUDIT_ROLES, RESULT_ROLES
from bot.chat.conversations import LoadedConversation
from bot.delivery.messages import Card, Notice, Option, Outbound, User
from bot.record.events import record_event
from bot.school.config import Role, SchoolConfig
from bot.words import strings
from bot.words.vocabulary import DIALOG_WORDS
from dialogs.datetimes import format_moment
from dialogs.engine import Dialog, DialogState, Turn
from dialogs.loader import flow_from_spec
from storage.crypto import Cipher
from storage.models import AuditCampaign

log = logging.getLogger(__name__)
# Appendix 1's questions whose "No" is answered at once with the DSL's name and how to report.
TELL_ON_NO = ("knows_lead", "pupil_concern")
__all__ = ["AUDIT_ROLES", "RESULT_ROLES", "START", "AuditCommands"]


class AuditCommands:
    def __init__(
        self,
        *,
        school: SchoolConfig,
        cipher: Cipher,
        clock: Callable[[], datetime],
        starter: AuditStarter,
    ) -> None:
        self.school = school
        self.cipher = cipher
        self.clock = clock
        self.starter = starter  # the domain's start, which the scheduler's cron calls too
        self._dialogs: dict[int, Dialog] = {}

    def dialog_for(self, campaign: AuditCampaign) -> Dialog:
        dialog = self._dialogs.get(campaign.id)
        if dialog is None:
            flow = flow_from_spec(campaign.flow_spec)
            dialog = Dialog(flow, tz=self.school.tz, clock=self.clock, words=DIALOG_WORDS)
            self._dialogs[campaign.id] = dialog
        return dialog

    def allowed(self, email: str, roles: Sequence[Role]) -> bool:
        person = self.school.person(email)
        return person is not None and any(person.has_role(role) for role in roles)

    # --- the person answering

    async def on_button(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        value: str,
        user: User,
        now: datetime,
    ) -> list[Outbound]:
        """The invitation's (or reminder's) button: start, resume, or review one's answers."""
        try:
            campaign_id = int(value.removeprefix(START))
        except ValueError:
            return [Notice(strings.STALE_BUTTON, "info")]
        campaign = await session.get(AuditCampaign, campaign_id)
        if campaign is None:
            return [Notice(strings.STALE_BUTTON, "info")]
        if campaign.closed_at is not None or campaign.closes_at <= now:
            closed = format_moment(campaign.closed_at or campaign.closes_at, self.school.tz)
            return [Notice(_say(campaign, "CLOSED").format(closed=closed), "info")]
        person = await campaigns.participant(session, campaign.id, user.email)
        if person is None:
            return [Notice(_say(campaign, "NOT_INVITED"), "info")]
        doc = loaded.doc
        if doc.dialog is not None and doc.extra.get("audit") != campaign.id:
            return [Notice(_say(campaign, "FINISH_FIRST"), "info")]
        dialog = self.dialog_for(campaign)
        state = DialogState.resumed(
            dialog.spec, campaigns.saved_answers(self.cipher, person), doc.next_turn()
        )
        doc.dialog, doc.extra["audit"] = state.to_json(), campaign.id
        if person.status == "invited":
            person.status, person.started_at, person.updated_at = "started", now, now
        intro = [Notice(dialog.spec.intro, "guidance")] if not state.answers else []
        return [*intro, *dialog.repeat(state)]

    async def campaign_of(
        self, session: AsyncSession, loaded: LoadedConversation
    ) -> AuditCampaign | None:
        campaign_id = loaded.doc.extra.get("audit")
        return await session.get(AuditCampaign, int(campaign_id)) if campaign_id else None

    async def after(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        campaign: AuditCampaign,
        dialog: Dialog,
        turn: Turn,
        user: User,
        now: datetime,
    ) -> list[Outbound]:
        """Keep every answer as it is given; finishing thanks them, stopping says how to resume."""
        doc = loaded.doc
        person = await campaigns.participant(session, campaign.id, user.email)
        if person is None or campaign.closed_at is not None:
            doc.dialog = None
            doc.extra.pop("audit", None)
            return [Notice(_say(campaign, "NOT_INVITED"), "info")]
        answers: dict[str, Any] = turn.answers(dialog) if turn.outcome == "completed" else {}
        answers = answers or dict(turn.state.answers)
        audit = campaign.kind == campaigns.AUDIT
        before = campaigns.saved_answers(self.cipher, person)
        told = self.who_to_tell(before, answers) if audit else []
        if turn.outcome == "continue":
            await campaigns.save_progress(
                session,
                self.cipher,
                person,
                answers,
                finished=False,
                now=now,
                training=campaign.kind,
            )
            doc.dialog = turn.state.to_json()
            return [*told, *turn.prompts]
        doc.dialog = None
        doc.extra.pop("audit", None)
        closes = format_moment(campaign.closes_at, self.school.tz)
        again = Option(f"{START}{campaign.id}", _say(campaign, "CHANGE_OPTION"))
        if turn.outcome == "completed":
            await campaigns.save_progress(
                session,
                self.cipher,
                person,
                answers,
                finished=True,
                now=now,
                training=campaign.kind,
            )
            log.info("%s answers saved campaign_id=%s", campaign.kind, campaign.id)
            thanks = Card(
                card_id=f"{campaign.kind}-{campaign.id}-done",
                title=_say(campaign, "THANKS_TITLE"),
                tone="success",
                text=_say(campaign, "THANKS").format(closes=closes),
                actions=(again,),
            )
            return [*told, *turn.prompts, thanks]
        # Cancelled: nothing given so far is lost; they can pick it up again.
        paused = Card(
            card_id=f"{campaign.kind}-{campaign.id}-paused",
            title=_say(campaign, "PAUSED_TITLE"),
            text=_say(campaign, "PAUSED").format(closes=closes),
            actions=(Option(f"{START}{campaign.id}", _say(campaign, "RESUME_OPTION")),),
        )
        return [paused]

    def who_to_tell(self, before: dict[str, Any], after: dict[str, Any]) -> list[Outbound]:
        """A new "No" to knowing the online safety lead or what to do when a pupil raises a
        concern: told at once who the DSL and deputies are and how to report (Appendix 1)."""
        if not any(after.get(q) == "no" != before.get(q) for q in TELL_ON_NO):
            return []
        dsl = ", ".join(p.name for p in self.school.people_with(Role.DSL))
        deputies = ", ".join(p.name for p in self.school.people_with(Role.DEPUTY_DSL))
        text = strings.AUDIT_WHO_IS_DSL.format(dsl=dsl)
        if deputies:
            text += strings.AUDIT_WHO_ARE_DEPUTIES.format(deputies=deputies)
        return [Notice(f"{text} {strings.AUDIT_HOW_TO_REPORT}", "guidance")]

    # --- the DSL's commands

    async def command(
        self,
        session: AsyncSession,
        loaded: LoadedConversation,
        words: list[str],
        user: User,
        now: datetime,
    ) -> list[Outbound] | None:
        """`audit start|status|results|summary`; None if `words` is not an audit command."""
        if not words or words[0] != "audit":
            return None
        if len(words) == 1 and not self.allowed(user.email, RESULT_ROLES):
            # A member of staff typing "audit": their own self-audit, as its button would.
            campaign = await campaigns.current_campaign(session, now=now, tz=self.school.tz)
            if campaign is None:
                return [Notice(strings.AUDIT_NONE_OPEN, "info")]
            return await self.on_button(session, loaded, f"{START}{campaign.id}", user, now)
        verb = words[1] if len(words) > 1 else "status"
        if verb not in {"start", "status", "results", "summary"}:
            return [Notice(strings.AUDIT_COMMANDS, "guidance")]
        roles = AUDIT_ROLES if verb == "start" else RESULT_ROLES
        if not self.allowed(user.email, roles):
            log.warning("audit command refused verb=%s", verb)
            return [Notice(strings.AUDIT_NOT_ALLOWED, "error")]
        if verb == "start":
            return await self.start(session, started_by=user.email, now=now)
        campaign = await campaigns.current_campaign(session, now=now, tz=self.school.tz)
        if campaign is None:
            campaign = await session.scalar(
                select(AuditCampaign)
                .where(AuditCampaign.kind == campaigns.AUDIT)
                .order_by(AuditCampaign.started_at.desc())
                .limit(1)
            )
        if campaign is None:
            return [Notice(strings.AUDIT_NONE, "info")]
        replies = await self.report(session, campaign, verb)
        if verb != "status":
            # The files go out with the results (into Slack's storage, for one): recorded, as
            # a download from the web chat is (bot/channels/web/audit_routes.py).
            files = [a.filename for r in replies if isinstance(r, Card) for a in r.attachments]
            await record_event(
                session,
                kind="audit_results_shown",
                at=now,
                actor_email=user.email,
                detail={
                    "campaign_id": campaign.id,
                    "view": verb,
                    "channel": loaded.row.channel,
                    "files": files,
                },
            )
        return replies

    async def start(
        self, session: AsyncSession, *, started_by: str, now: datetime
    ) -> list[Outbound]:
        started = await self.starter.start(session, started_by=started_by, now=now)
        if isinstance(started, NoAuditFlow):
            return [Notice(strings.AUDIT_NO_FLOW.format(flow=started.flow), "error")]
        campaign = started.campaign
        closes = format_moment(campaign.closes_at, self.school.tz)
        template = strings.AUDIT_STARTED if started.created else strings.AUDIT_ALREADY
        text = template.format(year=campaign.academic_year, n=started.invited, closes=closes)
        return [Notice(text, "success" if started.created else "info")]

    async def report(
        self, session: AsyncSession, campaign: AuditCampaign, verb: str
    ) -> list[Outbound]:
        if verb == "status":
            status = await results.campaign_status(session, campaign.id)
            return [present.status_card(status)]
        found = await results.campaign_results(session, self.cipher, campaign.id)
        if verb == "summary":
            summary = exports.governors_summary(found)
            return [present.governors_card(summary, chart=present.chart_attachment(found))]
        return present.results_messages(found, tz=self.school.tz)


def _say(campaign: AuditCampaign, name: str) -> str:
    """The words for one kind of campaign: AUDIT_<name> for the self-audit, BRIEFING_<name>
    for a briefing (bot/words/en.yaml): the answering itself is the same for both."""
    prefix = "BRIEFING_" if campaign.kind == campaigns.BRIEFING else "AUDIT_"
    text: str = getattr(strings, prefix + name)
    return text
