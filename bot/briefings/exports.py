"""A briefing's confirmations and answers as CSV, for the DSL (it names people): one row per
person asked and check question (one row per person when it has none), with when they
confirmed, what they answered, the right answer and their comment on a wrong one. It is
offered as the self-audit's results file is (bot/audit/use_cases.py: the same download in the
web chat, the same file consent in Teams), and written as that CSV is: a byte-order mark, CRLF,
formula-like cells defused."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit.questions import open_answers
from bot.briefings.flow import COMMENT_SUFFIX, AskedQuestion, asked_questions
from bot.delivery.messages import Attachment, FileSource, Link
from bot.delivery.spreadsheets import safe_cell
from bot.words import strings
from dialogs.text import shown_text
from storage.crypto import Cipher
from storage.models import AuditCampaign, AuditParticipant

COLUMNS = (
    "Name",
    "Email",
    "Confirmed on",
    "Question number",
    "Question",
    "Answer",
    "Right answer",
    "Correct",
    "Comment",
)
MEDIA_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
CSV_PATH = "/api/audit/{campaign_id}/results.csv"  # the self-audit's download serves it
CHART_PATH = "/api/audit/{campaign_id}/chart.png"  # and the chart


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    confirmed_at: datetime | None  # None: not confirmed (yet)
    answers: dict[str, str | None]


@dataclass(frozen=True)
class BriefingResults:
    campaign_id: int
    title: str
    academic_year: str
    questions: tuple[AskedQuestion, ...]
    people: tuple[Person, ...]  # everyone asked, by name


async def briefing_results(
    session: AsyncSession, cipher: Cipher, campaign_id: int
) -> BriefingResults | None:
    """Everyone asked and what they answered; None if that is no briefing."""
    campaign = await session.get(AuditCampaign, campaign_id)
    if campaign is None or campaign.kind != "briefing":
        return None
    rows = await session.scalars(
        select(AuditParticipant)
        .where(AuditParticipant.campaign_id == campaign_id)
        .order_by(AuditParticipant.display_name, AuditParticipant.email)
    )
    people = tuple(
        Person(
            row.display_name,
            row.email,
            row.finished_at if row.status == "finished" else None,
            open_answers(cipher, row),
        )
        for row in rows
    )
    questions = tuple(asked_questions(campaign.flow_spec))
    return BriefingResults(campaign.id, campaign.title, campaign.academic_year, questions, people)


def results_csv(results: BriefingResults, *, tz: tzinfo) -> str:
    """The CSV's text; "Confirmed on" is the date (YYYY-MM-DD) in `tz`, the school's."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for person in results.people:
        confirmed = (
            person.confirmed_at.astimezone(tz).date().isoformat() if person.confirmed_at else ""
        )
        who = (person.name, person.email, confirmed)
        if not results.questions:
            writer.writerow([safe_cell(cell) for cell in (*who, "", "", "", "", "", "")])
        for number, question in enumerate(results.questions, start=1):
            given = person.answers.get(question.step_id)
            answer = question.labels.get(str(given), "") if given is not None else ""
            correct = "" if given is None else ("Yes" if given == question.right else "No")
            comment = shown_text(str(person.answers.get(question.step_id + COMMENT_SUFFIX) or ""))
            right = question.labels.get(question.right, "")
            row = (*who, str(number), question.prompt, answer, right, correct, comment)
            writer.writerow([safe_cell(cell) for cell in row])
    return BOM + out.getvalue()


def results_filename(results: BriefingResults) -> str:
    year = re.sub(r"[^0-9A-Za-z-]", "", results.academic_year)
    return f"staff-briefing-{year}-{results.campaign_id}.csv"


def csv_attachment(results: BriefingResults, *, tz: tzinfo) -> Attachment:
    """The CSV as a file for the `briefings` card. It names people: the DSL's only."""
    return Attachment(
        filename=results_filename(results),
        media_type=MEDIA_TYPE,
        data=results_csv(results, tz=tz).encode("utf-8"),
        title=strings.BRIEFING_CSV_TITLE.format(title=results.title),
        link=Link(strings.BRIEFING_CSV_LINK, CSV_PATH.format(campaign_id=results.campaign_id)),
        source=FileSource("audit_csv", results.campaign_id),
    )
