"""The DSL's "briefings": each briefing sent, who has not confirmed it (by name), and every wrong
answer to its check questions as a training need, with the person's comment if they left one
(like the self-audit's "No" answers).

Confirmed means the person read the briefing, answered its questions and sent them (their
campaign status is "finished"); that is also who is no longer reminded."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import campaigns
from bot.audit.questions import open_answers
from bot.briefings.flow import COMMENT_SUFFIX, asked_questions
from bot.delivery.messages import Card, Notice, Outbound
from bot.school.config import SchoolConfig
from bot.words import strings
from dialogs.datetimes import format_moment
from storage.crypto import Cipher
from storage.models import AuditCampaign, AuditParticipant

SHOWN = 10  # the newest briefings shown


async def briefings_report(
    session: AsyncSession, *, cipher: Cipher, school: SchoolConfig
) -> list[Outbound]:
    found = list(
        await session.scalars(
            select(AuditCampaign)
            .where(AuditCampaign.kind == campaigns.BRIEFING)
            .order_by(AuditCampaign.started_at.desc(), AuditCampaign.id.desc())
            .limit(SHOWN)
        )
    )
    if not found:
        return [Notice(strings.BRIEFING_NONE, "info")]
    return [await _card(session, cipher, school, campaign) for campaign in found]


async def _card(
    session: AsyncSession, cipher: Cipher, school: SchoolConfig, campaign: AuditCampaign
) -> Card:
    people = list(
        await session.scalars(
            select(AuditParticipant)
            .where(AuditParticipant.campaign_id == campaign.id)
            .order_by(AuditParticipant.display_name, AuditParticipant.email)
        )
    )
    waiting = [p.display_name for p in people if p.status != "finished"]
    questions = asked_questions(campaign.flow_spec)
    needs = []
    for person in people:
        answers = open_answers(cipher, person) if person.answers_enc else {}
        for question in questions:
            given = answers.get(question.step_id)
            if given is None or given == question.right:
                continue
            need = strings.BRIEFING_REPORT_NEED.format(
                name=person.display_name,
                question=question.prompt,
                answer=question.labels.get(str(given), str(given)),
                right=question.labels.get(question.right, question.right),
            )
            comment = answers.get(question.step_id + COMMENT_SUFFIX)
            if comment:
                need += strings.BRIEFING_REPORT_COMMENT.format(comment=comment)
            needs.append(need)
    lines = [
        strings.BRIEFING_REPORT_COUNTS.format(
            confirmed=len(people) - len(waiting),
            asked=len(people),
            sent=format_moment(campaign.started_at, school.tz),
            closes=format_moment(campaign.closed_at or campaign.closes_at, school.tz),
        ),
        strings.BRIEFING_REPORT_WAITING.format(names=", ".join(waiting))
        if waiting
        else strings.BRIEFING_REPORT_ALL,
    ]
    if questions:
        lines.append(
            "\n".join([strings.BRIEFING_REPORT_NEEDS, *(f"• {n}" for n in needs)])
            if needs
            else strings.BRIEFING_REPORT_NO_NEEDS
        )
    return Card(
        card_id=f"briefing-{campaign.id}-report",
        title=strings.BRIEFING_REPORT_TITLE.format(title=campaign.title),
        text="\n\n".join(lines),
    )
