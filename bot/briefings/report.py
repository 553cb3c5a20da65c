"""The DSL's "briefings": each briefing sent, who has not confirmed it (by name), and every wrong
answer to its check questions as a training need, with the person's comment if they left one
(like the self-audit's "No" answers); with the CSV of everyone's confirmations and answers.

Confirmed means the person read the briefing, answered its questions and sent them (their
campaign status is "finished"); that is also who is no longer reminded."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import campaigns
from bot.briefings import chart, exports
from bot.briefings.flow import COMMENT_SUFFIX
from bot.delivery.messages import Card, Notice, Outbound
from bot.school.config import SchoolConfig
from bot.words import strings
from dialogs.datetimes import format_moment
from storage.crypto import Cipher
from storage.models import AuditCampaign

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
    cards: list[Outbound] = []
    for campaign in found:
        results = await exports.briefing_results(session, cipher, campaign.id)
        assert results is not None  # a briefing's id
        cards.append(_card(campaign, results, school))
    return cards


def _card(campaign: AuditCampaign, results: exports.BriefingResults, school: SchoolConfig) -> Card:
    people = results.people
    waiting = [p.name for p in people if p.confirmed_at is None]
    needs = []
    for person in people:
        for question in results.questions:
            given = person.answers.get(question.step_id)
            if given is None or given == question.right:
                continue
            need = strings.BRIEFING_REPORT_NEED.format(
                name=person.name,
                question=question.prompt,
                answer=question.labels.get(str(given), str(given)),
                right=question.labels.get(question.right, question.right),
            )
            comment = person.answers.get(question.step_id + COMMENT_SUFFIX)
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
    if results.questions:
        lines.append(
            "\n".join([strings.BRIEFING_REPORT_NEEDS, *(f"• {n}" for n in needs)])
            if needs
            else strings.BRIEFING_REPORT_NO_NEEDS
        )
    return Card(
        card_id=f"briefing-{campaign.id}-report",
        title=strings.BRIEFING_REPORT_TITLE.format(title=campaign.title),
        text="\n\n".join(lines),
        attachments=(
            chart.chart_attachment(results),
            exports.csv_attachment(results, tz=school.tz),
        ),
    )
