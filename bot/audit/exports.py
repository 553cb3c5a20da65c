"""What a campaign's results are turned into: the CSV for the DSL's spreadsheet (it names people)
and the anonymised summary for the governing board (policy §3.1, §12: numbers only)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, tzinfo

from bot.audit.results import NO, YES, AuditResults, percent
from bot.delivery.spreadsheets import safe_cell
from dialogs.text import shown_text

# The CSV, for the DSL (it names people: never for governors).
CSV_COLUMNS = (
    "Name",
    "Email",
    "Finished on",
    "Question number",
    "Question",
    "Answer",
    "Comment",
)
CSV_ANSWERS = {YES: "Yes", NO: "No"}
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
# The governors' summary: what the written-in training requests are counted under.
OTHER_TOPIC = "Other areas staff asked for training in"


# --- The CSV


def results_csv(results: AuditResults, *, tz: tzinfo = UTC) -> str:
    """Everyone's answers, one row per person and question, and one more per person for the
    training question (its Answer is what they wrote). For the DSL: it names people.

    The text starts with a byte-order mark (U+FEFF), so encoded as UTF-8 (`.encode()`, not
    "utf-8-sig", which would add a second) Excel reads accents and curly quotes right, as it
    does the case export. Lines end in CRLF. A cell that a spreadsheet could run as a formula
    (starting with = + - @, a tab or CR) is given a leading apostrophe. "Finished on" is the
    date (YYYY-MM-DD) in `tz`: pass the school's timezone.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    needs_number = str(len(results.questions) + 1)
    for person in results.respondents:
        finished = (
            person.finished_at.astimezone(tz).date().isoformat() if person.finished_at else ""
        )
        who = (person.name, person.email, finished)
        for answer in person.answers:
            shown = CSV_ANSWERS.get(answer.value or "", "")
            # What people wrote, as typed text is shown (dialogs/text.py).
            comment = shown_text(answer.comment or "")
            row = (*who, str(answer.number), answer.question.prompt, shown, comment)
            writer.writerow([safe_cell(cell) for cell in row])
        row = (*who, needs_number, results.needs_prompt, shown_text(person.training_text or ""), "")
        writer.writerow([safe_cell(cell) for cell in row])
    return BOM + out.getvalue()


def results_filename(results: AuditResults, extension: str) -> str:
    year = re.sub(r"[^0-9A-Za-z-]", "", results.academic_year) or str(results.campaign_id)
    return f"online-safety-audit-{year}.{extension}"


# --- The governors' summary


@dataclass(frozen=True)
class QuestionSummary:
    number: int
    label: str
    question: str
    yes: int
    no: int
    unanswered: int
    yes_percent: int  # of those who finished
    no_percent: int


@dataclass(frozen=True)
class TopicCount:
    topic: str  # a question's label, or OTHER_TOPIC for the written-in requests
    staff: int


@dataclass(frozen=True)
class GovernorsSummary:
    """Anonymised: numbers only. No names, e-mails, comments or written requests, which could
    identify someone; the written requests are only counted (OTHER_TOPIC)."""

    campaign_id: int
    academic_year: str
    final: bool  # False: the campaign is still open, these are results so far
    invited: int
    finished: int
    finished_percent: int
    unfinished: int
    questions: tuple[QuestionSummary, ...]
    needs_by_topic: tuple[TopicCount, ...]  # most asked first; topics nobody needs left out
    staff_with_needs: int

    def lines(self) -> list[str]:
        """The summary as plain lines, e.g. for a report to the board."""
        state = "" if self.final else " (results so far)"
        lines = [
            f"Staff online-safety self-audit {self.academic_year}{state}",
            f"{self.finished} of {self.invited} staff finished ({self.finished_percent}%).",
        ]
        for q in self.questions:
            line = f"{q.number}. {q.label}: Yes {q.yes} ({q.yes_percent}%)"
            line += f", No {q.no} ({q.no_percent}%)"
            lines.append(line + (f", not answered {q.unanswered}" if q.unanswered else ""))
        lines.append(f"Staff with at least one training need: {self.staff_with_needs}")
        lines += [f"{t.topic}: {t.staff}" for t in self.needs_by_topic]
        return lines


def governors_summary(results: AuditResults) -> GovernorsSummary:
    n = results.finished
    lines = tuple(
        QuestionSummary(
            number=c.number,
            label=c.question.label,
            question=c.question.prompt,
            yes=c.yes,
            no=c.no,
            unanswered=c.unanswered,
            yes_percent=percent(c.yes, n),
            no_percent=percent(c.no, n),
        )
        for c in results.counts
    )
    topics = [(c.no, c.number, c.question.label) for c in results.counts if c.no]
    if results.written_needs:
        topics.append((len(results.written_needs), len(results.counts) + 1, OTHER_TOPIC))
    topics.sort(key=lambda t: (-t[0], t[1]))
    return GovernorsSummary(
        campaign_id=results.campaign_id,
        academic_year=results.academic_year,
        final=results.closed_at is not None,
        invited=results.invited,
        finished=n,
        finished_percent=percent(n, results.invited),
        unfinished=results.unfinished,
        questions=lines,
        needs_by_topic=tuple(TopicCount(label, staff) for staff, _, label in topics),
        staff_with_needs=len(results.training_needs),
    )
