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
from bot.words import strings
from dialogs.datetimes import format_moment
from dialogs.text import shown_text

CSV_PATH = "/api/audit/{campaign_id}/results.csv"
CHART_PATH = "/api/audit/{campaign_id}/chart.png"
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
        sent += " (" + strings.AUDIT_STATUS_UNDELIVERED.format(count=total.undelivered) + ")"
    finished = f"{total.finished} ({percent(total.finished, total.invited)}%)"
    fields = [
        CardField(strings.AUDIT_STATUS_ASKED, str(total.invited)),
        CardField(strings.AUDIT_STATUS_SENT, sent),
        CardField(strings.AUDIT_STATUS_STARTED, str(total.started)),
        CardField(strings.AUDIT_STATUS_FINISHED, finished),
        CardField(strings.AUDIT_STATUS_NOT_STARTED, str(total.not_started)),
    ]
    if len(status.by_channel) > 1:
        fields += [
            CardField(strings.AUDIT_CHANNEL_NAMES.get(channel, channel), _channel_line(progress))
            for channel, progress in status.by_channel.items()
        ]
    if status.closed_at is not None:
        footer = strings.AUDIT_STATUS_CLOSED.format(when=_when(status.closed_at, tz))
    else:
        footer = strings.AUDIT_STATUS_CLOSES.format(when=_when(status.closes_at, tz))
    return Card(
        card_id=f"audit-status-{status.campaign_id}",
        title=strings.AUDIT_STATUS_TITLE.format(year=status.academic_year),
        fields=tuple(fields),
        footer=footer,
    )


def results_messages(results: AuditResults, *, tz: ZoneInfo = LONDON) -> list[Outbound]:
    """For the DSL: the counts per question (with the chart and the CSV attached), each
    person's training needs, and the comments; long lists over several cards. Pass the
    school's timezone (the CSV's dates are in it)."""
    campaign = results.campaign_id
    text = strings.AUDIT_RESULTS_TEXT.format(
        finished=results.finished,
        invited=results.invited,
        percent=percent(results.finished, results.invited),
    )
    if results.unfinished:
        text += strings.AUDIT_RESULTS_UNFINISHED.format(count=results.unfinished)
    counts = []
    for count in results.counts:
        value = strings.AUDIT_RESULTS_COUNTS.format(
            yes=count.yes,
            yes_percent=percent(count.yes, results.finished),
            no=count.no,
            no_percent=percent(count.no, results.finished),
        )
        if count.unanswered:
            value += strings.AUDIT_RESULTS_UNANSWERED.format(count=count.unanswered)
        counts.append(CardField(f"{count.number}. {count.question.label}", value))
    title = (
        strings.AUDIT_RESULTS_TITLE
        if results.closed_at is not None
        else strings.AUDIT_RESULTS_TITLE_SO_FAR
    )
    summary = Card(
        card_id=f"audit-results-{campaign}",
        title=title.format(year=results.academic_year),
        text=text,
        fields=tuple(counts),
        footer=strings.AUDIT_RESULTS_FOOTER,
        attachments=(chart_attachment(results), csv_attachment(results, tz=tz)),
    )
    names = _names([(p.name, p.email) for p in results.respondents])
    needs = []
    for person in results.training_needs:
        lines = [strings.AUDIT_BULLET + topic for topic in person.topics]
        if person.request:
            lines.append(strings.AUDIT_NEEDS_ASKED.format(text=shown_text(person.request)))
        needs.append(CardField(names[person.email], "\n".join(lines)))
    comments = [
        CardField(
            strings.AUDIT_COMMENT_LABEL.format(name=names[c.email], number=c.number, label=c.label),
            shown_text(c.text),  # typed: addresses defanged, direction controls visible
        )
        for c in results.comments
    ]
    return [
        summary,
        *_cards(
            f"audit-needs-{campaign}",
            strings.AUDIT_NEEDS_TITLE,
            needs,
            strings.AUDIT_NEEDS_TEXT,
            strings.AUDIT_NEEDS_NONE,
        ),
        *_cards(
            f"audit-comments-{campaign}",
            strings.AUDIT_COMMENTS_TITLE,
            comments,
            None,
            strings.AUDIT_COMMENTS_NONE,
        ),
    ]


def governors_card(summary: GovernorsSummary, *, chart: Attachment | None = None) -> Card:
    """The anonymised summary, with the chart (`chart_attachment`, numbers only too) if given;
    never the CSV, which names people."""
    fields = []
    for q in summary.questions:
        value = strings.AUDIT_RESULTS_COUNTS.format(
            yes=q.yes, yes_percent=q.yes_percent, no=q.no, no_percent=q.no_percent
        )
        if q.unanswered:
            value += strings.AUDIT_RESULTS_UNANSWERED.format(count=q.unanswered)
        fields.append(CardField(f"{q.number}. {q.label}", value))
    fields.append(CardField(strings.AUDIT_GOVERNORS_WITH_NEEDS, str(summary.staff_with_needs)))
    topics = [
        strings.AUDIT_BULLET
        + f"{t.topic}: "
        + strings.AUDIT_GOVERNORS_NEEDS_VALUE.format(
            staff=t.staff, percent=percent(t.staff, summary.finished)
        )
        for t in summary.needs_by_topic
    ]
    fields.append(
        CardField(
            strings.AUDIT_GOVERNORS_NEEDS, "\n".join(topics) or strings.AUDIT_GOVERNORS_NO_NEEDS
        )
    )
    title = strings.AUDIT_GOVERNORS_TITLE if summary.final else strings.AUDIT_GOVERNORS_TITLE_SO_FAR
    return Card(
        card_id=f"audit-governors-{summary.campaign_id}",
        title=title.format(year=summary.academic_year),
        text=strings.AUDIT_GOVERNORS_TEXT.format(
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
        title=strings.AUDIT_CHART_TITLE.format(year=results.academic_year),
        alt_text=strings.AUDIT_CHART_ALT,
        link=Link(strings.AUDIT_CHART_LINK, CHART_PATH.format(campaign_id=results.campaign_id)),
    )


def csv_attachment(results: AuditResults, *, tz: ZoneInfo = LONDON) -> Attachment:
    """Everyone's answers as CSV. It names people and holds their comments: the DSL's only."""
    return Attachment(
        filename=exports.results_filename(results, "csv"),
        media_type=exports.CSV_MEDIA_TYPE,
        data=exports.results_csv(results, tz=tz).encode("utf-8"),
        title=strings.AUDIT_CSV_TITLE.format(year=results.academic_year),
        link=Link(strings.AUDIT_CSV_LINK, CSV_PATH.format(campaign_id=results.campaign_id)),
        source=FileSource("audit_csv", results.campaign_id),
    )


def _channel_line(progress: Progress) -> str:
    return strings.AUDIT_STATUS_CHANNEL.format(
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
            title=strings.AUDIT_PART.format(title=title, n=n, total=len(groups)),
            text=text if n == 1 else None,
            fields=tuple(group),
        )
        for n, group in enumerate(groups, start=1)
    ]


def _when(moment: datetime, tz: ZoneInfo) -> str:
    return format_moment(moment, tz)
