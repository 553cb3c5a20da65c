"""The self-audit's progress and results as neutral chat messages (every channel renders them).

The results cards name people (for the DSL); the governors' card holds numbers only. Long lists
are split over several cards, so no card goes over what Slack (50 blocks, 10 fields a section)
or Teams (about 28 KB a message) accept. The results card carries the chart (PNG) and everyone's
answers (CSV) as attachments, the governors' card the chart only: each channel delivers them as
it can (bot/delivery/messages.py, Attachment).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.audit import exports
from bot.audit.chart import results_chart_png
from bot.audit.exports import GovernorsSummary
from bot.audit.results import AuditResults, AuditStatus, Progress, percent
from bot.delivery.messages import Attachment, Card, CardField, FileSource, Link, Outbound
from dialogs.datetimes import format_moment

STATUS_TITLE = "Staff online-safety self-audit {year}: progress"
STATUS_ASKED = "Asked"
STATUS_SENT = "Invitation delivered"
STATUS_UNDELIVERED = "{count} could not be delivered"
STATUS_STARTED = "Started"
STATUS_FINISHED = "Finished"
STATUS_NOT_STARTED = "Not started yet"
STATUS_CHANNEL = "{asked} asked, {sent} delivered, {started} started, {finished} finished"
STATUS_CLOSES = "Open until {when}"
STATUS_CLOSED = "Closed {when}"
CHANNEL_NAMES = {"web": "Web chat", "slack": "Slack", "teams": "Microsoft Teams"}

RESULTS_TITLE = "Staff online-safety self-audit {year}: results"
RESULTS_TITLE_SO_FAR = "Staff online-safety self-audit {year}: results so far"
RESULTS_TEXT = (
    "{finished} of {invited} staff finished ({percent}%). Only finished audits are counted."
)
RESULTS_UNFINISHED = " {count} started but had not finished: their answers are not counted."
RESULTS_COUNTS = "Yes {yes} ({yes_percent}%) · No {no} ({no_percent}%)"
RESULTS_UNANSWERED = " · not answered {count}"
RESULTS_FOOTER = "The CSV names everyone and holds their comments: keep it as you would a record."
CSV_LINK = "Download everyone's answers (CSV)"
CHART_LINK = "Download the chart (PNG)"
CSV_PATH = "/api/audit/{campaign_id}/results.csv"
CHART_PATH = "/api/audit/{campaign_id}/chart.png"
CHART_TITLE = "Chart: staff online-safety self-audit {year}"
CHART_ALT = (
    "Bar chart: for each question, the share of the staff who finished who answered Yes, No "
    "(a training need) or did not answer. The same numbers are in the message above."
)
CSV_TITLE = "Everyone's answers: staff online-safety self-audit {year} (CSV)"

NEEDS_TITLE = "Training needs"
NEEDS_TEXT = (
    'Every "No" is a training need, named by its question; '
    "what people asked for in their own words follows."
)
NEEDS_NONE = "Nobody answered No or asked for training."
NEEDS_ASKED = "Asked for: {text}"
COMMENTS_TITLE = "Comments"
COMMENTS_NONE = "Nobody added a comment."
COMMENT_LABEL = "{name}, question {number} ({label})"
PART = "{title} ({n} of {total})"
BULLET = "• "

GOVERNORS_TITLE = "Staff online-safety self-audit {year}: summary for governors"
GOVERNORS_TITLE_SO_FAR = "Staff online-safety self-audit {year}: summary so far, for governors"
GOVERNORS_TEXT = (
    "{finished} of {invited} staff finished ({percent}%). Numbers only: no names, "
    "comments or written answers, which could identify someone."
)
GOVERNORS_NEEDS = "Training needs: staff per topic"
GOVERNORS_NEEDS_VALUE = "{staff} ({percent}% of those who finished)"
GOVERNORS_WITH_NEEDS = "Staff with at least one training need"
GOVERNORS_NO_NEEDS = "None"

LONDON = ZoneInfo("Europe/London")
# One card's share of a message: Slack takes 50 blocks (fields go ten to a block, a field over
# 2,000 characters takes blocks of its own) and Teams about 28 KB (UTF-16, so twice the text).
MAX_FIELDS = 20
MAX_CHARS = 6000


def status_card(status: AuditStatus, *, tz: ZoneInfo = LONDON) -> Card:
    """How far the campaign has got, overall and per channel. Pass the school's timezone."""
    total = status.total
    sent = str(total.sent)
    if total.undelivered:
        sent += " (" + STATUS_UNDELIVERED.format(count=total.undelivered) + ")"
    finished = f"{total.finished} ({percent(total.finished, total.invited)}%)"
    fields = [
        CardField(STATUS_ASKED, str(total.invited)),
        CardField(STATUS_SENT, sent),
        CardField(STATUS_STARTED, str(total.started)),
        CardField(STATUS_FINISHED, finished),
        CardField(STATUS_NOT_STARTED, str(total.not_started)),
    ]
    if len(status.by_channel) > 1:
        fields += [
            CardField(CHANNEL_NAMES.get(channel, channel), _channel_line(progress))
            for channel, progress in status.by_channel.items()
        ]
    if status.closed_at is not None:
        footer = STATUS_CLOSED.format(when=_when(status.closed_at, tz))
    else:
        footer = STATUS_CLOSES.format(when=_when(status.closes_at, tz))
    return Card(
        card_id=f"audit-status-{status.campaign_id}",
        title=STATUS_TITLE.format(year=status.academic_year),
        fields=tuple(fields),
        footer=footer,
    )


def results_messages(results: AuditResults, *, tz: ZoneInfo = LONDON) -> list[Outbound]:
    """For the DSL: the counts per question (with the chart and the CSV attached), each
    person's training needs, and the comments; long lists over several cards. Pass the
    school's timezone (the CSV's dates are in it)."""
    campaign = results.campaign_id
    text = RESULTS_TEXT.format(
        finished=results.finished,
        invited=results.invited,
        percent=percent(results.finished, results.invited),
    )
    if results.unfinished:
        text += RESULTS_UNFINISHED.format(count=results.unfinished)
    counts = []
    for count in results.counts:
        value = RESULTS_COUNTS.format(
            yes=count.yes,
            yes_percent=percent(count.yes, results.finished),
            no=count.no,
            no_percent=percent(count.no, results.finished),
        )
        if count.unanswered:
            value += RESULTS_UNANSWERED.format(count=count.unanswered)
        counts.append(CardField(f"{count.number}. {count.question.label}", value))
    title = RESULTS_TITLE if results.closed_at is not None else RESULTS_TITLE_SO_FAR
    summary = Card(
        card_id=f"audit-results-{campaign}",
        title=title.format(year=results.academic_year),
        text=text,
        fields=tuple(counts),
        footer=RESULTS_FOOTER,
        attachments=(chart_attachment(results), csv_attachment(results, tz=tz)),
    )
    names = _names([(p.name, p.email) for p in results.respondents])
    needs = []
    for person in results.training_needs:
        lines = [BULLET + topic for topic in person.topics]
        if person.request:
            lines.append(NEEDS_ASKED.format(text=person.request))
        needs.append(CardField(names[person.email], "\n".join(lines)))
    comments = [
        CardField(COMMENT_LABEL.format(name=names[c.email], number=c.number, label=c.label), c.text)
        for c in results.comments
    ]
    return [
        summary,
        *_cards(f"audit-needs-{campaign}", NEEDS_TITLE, needs, NEEDS_TEXT, NEEDS_NONE),
        *_cards(f"audit-comments-{campaign}", COMMENTS_TITLE, comments, None, COMMENTS_NONE),
    ]


def governors_card(summary: GovernorsSummary, *, chart: Attachment | None = None) -> Card:
    """The anonymised summary, with the chart (`chart_attachment`, numbers only too) if given;
    never the CSV, which names people."""
    fields = []
    for q in summary.questions:
        value = RESULTS_COUNTS.format(
            yes=q.yes, yes_percent=q.yes_percent, no=q.no, no_percent=q.no_percent
        )
        if q.unanswered:
            value += RESULTS_UNANSWERED.format(count=q.unanswered)
        fields.append(CardField(f"{q.number}. {q.label}", value))
    fields.append(CardField(GOVERNORS_WITH_NEEDS, str(summary.staff_with_needs)))
    topics = [
        BULLET
        + f"{t.topic}: "
        + GOVERNORS_NEEDS_VALUE.format(staff=t.staff, percent=percent(t.staff, summary.finished))
        for t in summary.needs_by_topic
    ]
    fields.append(CardField(GOVERNORS_NEEDS, "\n".join(topics) or GOVERNORS_NO_NEEDS))
    title = GOVERNORS_TITLE if summary.final else GOVERNORS_TITLE_SO_FAR
    return Card(
        card_id=f"audit-governors-{summary.campaign_id}",
        title=title.format(year=summary.academic_year),
        text=GOVERNORS_TEXT.format(
            finished=summary.finished,
            invited=summary.invited,
            percent=summary.finished_percent,
        ),
        fields=tuple(fields),
        attachments=(chart,) if chart is not None else (),
    )


def chart_attachment(results: AuditResults) -> Attachment:
    """The results chart as a PNG: counts and question labels only, so for governors too."""
    return Attachment(
        filename=exports.results_filename(results, "png"),
        media_type="image/png",
        data=results_chart_png(results),
        title=CHART_TITLE.format(year=results.academic_year),
        alt_text=CHART_ALT,
        link=Link(CHART_LINK, CHART_PATH.format(campaign_id=results.campaign_id)),
    )


def csv_attachment(results: AuditResults, *, tz: ZoneInfo = LONDON) -> Attachment:
    """Everyone's answers as CSV. It names people and holds their comments: the DSL's only."""
    return Attachment(
        filename=exports.results_filename(results, "csv"),
        media_type=exports.CSV_MEDIA_TYPE,
        data=exports.results_csv(results, tz=tz).encode("utf-8"),
        title=CSV_TITLE.format(year=results.academic_year),
        link=Link(CSV_LINK, CSV_PATH.format(campaign_id=results.campaign_id)),
        source=FileSource("audit_csv", results.campaign_id),
    )


def _channel_line(progress: Progress) -> str:
    return STATUS_CHANNEL.format(
        asked=progress.invited,
        sent=progress.sent,
        started=progress.started,
        finished=progress.finished,
    )


def _names(people: Sequence[tuple[str, str]]) -> dict[str, str]:
    """email -> the name to show: the e-mail is added where two people share a name."""
    seen = Counter(name.casefold() for name, _ in people)
    return {
        email: f"{name} ({email})" if seen[name.casefold()] > 1 else name for name, email in people
    }


def _cards(
    card_id: str, title: str, fields: list[CardField], text: str | None, empty: str
) -> list[Card]:
    """One card, or several when the fields are too many or too long for one."""
    if not fields:
        return [Card(card_id=card_id, title=title, text=empty)]
    groups: list[list[CardField]] = [[]]
    size = 0
    for one in fields:
        length = len(one.label) + len(one.value)
        if groups[-1] and (len(groups[-1]) >= MAX_FIELDS or size + length > MAX_CHARS):
            groups.append([])
            size = 0
        groups[-1].append(one)
        size += length
    if len(groups) == 1:
        return [Card(card_id=card_id, title=title, text=text, fields=tuple(fields))]
    return [
        Card(
            card_id=f"{card_id}-{n}",
            title=PART.format(title=title, n=n, total=len(groups)),
            text=text if n == 1 else None,
            fields=tuple(group),
        )
        for n, group in enumerate(groups, start=1)
    ]


def _when(moment: datetime, tz: ZoneInfo) -> str:
    return format_moment(moment, tz)
