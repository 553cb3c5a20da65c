"""A case's chronology for the record: a CSV for Excel and a printable, self-contained HTML page,
and the one use case that exports it (`export_chronology`), which every channel calls alike: the
chat's "Export the chronology" button, the web chat's download and Teams' file consent.

The rendering is pure functions over data. Every piece of text from a report or a note is
untrusted: cells are guarded against spreadsheet formulas, and the page escapes it all.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import labels
from bot.cases import service as cases
from bot.cases.alerts import AlertDesk
from bot.cases.cards import CardMaker
from bot.cases.keys import case_key
from bot.cases.service import ChronologyEntry
from bot.delivery.messages import Attachment, FileSource, Link
from bot.delivery.spreadsheets import safe_cell
from bot.reports.service import read_answers
from bot.reports.urgency import urgency_label
from bot.words import strings
from dialogs.datetimes import load_moment
from dialogs.loader import case_flow
from storage.models import Report

BANNER = strings.EXPORT_BANNER
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# The web chat's download of a case's chronology (bot/channels/web/export_routes.py).
CHRONOLOGY_PATH = "/api/web/cases/{case_id}/chronology.{extension}"


@dataclass(frozen=True)
class Line:
    """One entry of the chronology, as words."""

    when: str
    name: str
    email: str
    what: str
    details: str

    @property
    def who(self) -> str:
        return f"{self.name} ({self.email})" if self.email else self.name


@dataclass(frozen=True)
class CaseRecord:
    reference: str
    timezone: str
    header: tuple[tuple[str, str], ...]
    answers: tuple[tuple[str, str], ...]
    lines: tuple[Line, ...]
    exported_by: str
    exported_at: str


def case_record(
    cards: CardMaker,
    report: Report,
    rows: list[dict[str, Any]],
    entries: list[ChronologyEntry],
    *,
    exported_by: str,
    now: datetime,
) -> CaseRecord:
    """The case as it will be exported: its header, the report's own answers, its chronology."""
    tz = cards.school.tz
    header = [
        (strings.CARD_REFERENCE, report.reference or ""),
        (strings.CARD_KIND, cards.kind_label(report)),
        (strings.CARD_URGENCY, urgency_label(report)),
        (strings.CARD_REPORTED_BY, _who(cards, report.reporter_email)),
        (strings.CARD_REPORTED_AT, _stamp(report.submitted_at or report.created_at, tz)),
        (strings.CARD_STATUS, cards.status_label(report)),
    ]
    if report.allegation:
        header.append((strings.CARD_ALLEGATION, strings.ALLEGATION_NOTE))
        header += [(f.label, f.value) for f in cards.allegation_fields(report)]
    answers = tuple((str(r.get("question") or r["label"]), str(r["answer"])) for r in rows)
    lines = tuple(_line(cards, entry, tz, report.flow_id) for entry in entries)
    return CaseRecord(
        reference=report.reference or f"case-{report.id}",
        timezone=cards.school.timezone,
        header=tuple(header),
        answers=answers,
        lines=lines,
        exported_by=_who(cards, exported_by),
        exported_at=_stamp(now, tz),
    )


Format = Literal["csv", "html"]


@dataclass(frozen=True)
class Chronology:
    """A case's chronology as exported now, for the person who asked."""

    case_id: int
    reference: str  # the case's reference (its id if it has none)
    record: CaseRecord


@dataclass(frozen=True)
class Refused:
    """No chronology: `no_such_case` (or not a case), or `not_allowed` (the refusal recorded)."""

    reason: Literal["no_such_case", "not_allowed"]


async def export_chronology(
    session: AsyncSession,
    *,
    desk: AlertDesk,
    cards: CardMaker,
    case_id: str | int,
    actor: str,
    channel: str | None,
    fmt: Format,
    now: datetime,
    record: bool = True,
) -> Chronology | Refused:
    """Find the case, check that `actor` may export it (whoever may view a case may export
    it, by `cases.authorise`, which records a refusal), record the export, build the record.

    `channel` is the chat that delivers the file, recorded with the export; None for the web
    chat's own download. `record=False` when the file does not leave now: the chat of a channel
    that does not send files with its replies (the file is made again, and recorded, when it is
    fetched), and Teams' consent, which records it with `record_chronology_export` once OneDrive
    took the file, so a failed upload leaves no false entry. Run it in a transaction that
    commits on a refusal too: the "refused" entry is kept.
    """
    key = case_key(str(case_id))
    report = await cases.find_case(session, key=key) if key else None
    if report is None or report.case_status is None or report.drill:  # a drill is no case
        return Refused("no_such_case")
    try:
        await cases.authorise(session, desk, report=report, email=actor, action="export", now=now)
    except cases.NotAllowed:
        return Refused("not_allowed")
    if record:
        await cases.record_export(
            session, report_id=report.id, email=actor, fmt=fmt, now=now, channel=channel
        )
    made = await chronology_record(
        session, desk=desk, cards=cards, report=report, exported_by=actor, now=now
    )
    return Chronology(report.id, report.reference or str(report.id), made)


async def chronology_record(
    session: AsyncSession,
    *,
    desk: AlertDesk,
    cards: CardMaker,
    report: Report,
    exported_by: str,
    now: datetime,
) -> CaseRecord:
    """The case as it is exported now, for `exported_by`: its answers and its chronology read
    from the database (check and record before calling: `export_chronology` does)."""
    rows = (await read_answers(cipher=desk.cipher, report=report))["rows"]
    entries = await cases.chronology(session, desk, report=report)
    return case_record(cards, report, rows, entries, exported_by=exported_by, now=now)


async def record_chronology_export(
    session: AsyncSession, *, case_id: int, actor: str, channel: str, fmt: Format, now: datetime
) -> None:
    """A chronology made with `record=False` reached the person later (Teams: OneDrive took
    it): recorded now, with the channel."""
    await cases.record_export(
        session, report_id=case_id, email=actor, fmt=fmt, now=now, channel=channel
    )


def chronology_attachment(chronology: Chronology) -> Attachment:
    """The chronology as a CSV attachment: the web chat shows its link instead, and Teams
    makes it again from its `source` (the case's id, nothing of what it holds)."""
    record, case_id = chronology.record, chronology.case_id
    return Attachment(
        filename=filename(record, "csv"),
        media_type=CSV_MEDIA_TYPE,
        data=to_csv(record),
        title=strings.EXPORT_FILE_TITLE.format(reference=record.reference),
        link=Link(
            strings.EXPORT_CSV_LINK, CHRONOLOGY_PATH.format(case_id=case_id, extension="csv")
        ),
        source=FileSource("case_chronology", case_id),
    )


def filename(record: CaseRecord, extension: str) -> str:
    return f"{re.sub(r'[^A-Za-z0-9-]', '', record.reference) or 'case'}-chronology.{extension}"


def to_csv(record: CaseRecord) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads the accents and the £ signs right."""
    out = io.StringIO()
    writer = csv.writer(out)
    table: list[tuple[str, ...]] = [(BANNER,), *record.header]
    table += [
        (strings.EXPORT_EXPORTED_BY, record.exported_by),
        (strings.EXPORT_EXPORTED_AT, record.exported_at),
        (),
    ]
    table += [(strings.EXPORT_QUESTION, strings.EXPORT_ANSWER), *record.answers, ()]
    when = strings.EXPORT_WHEN_IN.format(timezone=record.timezone)
    table.append((when, strings.EXPORT_WHO, strings.EXPORT_WHAT, strings.EXPORT_DETAILS))
    table += [(line.when, line.who, line.what, line.details) for line in record.lines]
    writer.writerows([safe_cell(cell) for cell in row] for row in table)
    return out.getvalue().encode("utf-8-sig")


def to_html(record: CaseRecord) -> str:
    """A clean A4 page that prints well; every piece of text is escaped."""
    header = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in record.header)
    answers = (
        "".join(f"<tr><th>{escape(q)}</th><td>{escape(a)}</td></tr>" for q, a in record.answers)
        or f'<tr><td colspan="2">{escape(strings.EXPORT_NO_ANSWERS)}</td></tr>'
    )
    lines = "".join(
        f"<tr><td>{escape(x.when)}</td><td>{escape(x.name)}<small>{escape(x.email)}</small>"
        f"</td><td>{escape(x.what)}</td><td>{escape(x.details)}</td></tr>"
        for x in record.lines
    )
    title = escape(strings.EXPORT_PAGE_TITLE.format(reference=record.reference))
    exported = escape(strings.EXPORT_EXPORTED.format(who=record.exported_by, at=record.exported_at))
    keep = escape(strings.EXPORT_KEEP_SECURE.format(banner=BANNER))
    column = "".join(
        f"<th>{escape(name)}</th>"
        for name in (strings.EXPORT_WHO, strings.EXPORT_WHAT, strings.EXPORT_DETAILS)
    )
    return (
        f'<!doctype html>\n<html lang="{strings.LANGUAGE_TAG}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>"
        f'<p class="banner">{escape(BANNER)}</p><h1>{title}</h1>'
        f'<table class="facts">{header}</table>'
        f'<h2>{escape(strings.EXPORT_THE_REPORT)}</h2><table class="facts">{answers}</table>'
        f'<h2>{escape(strings.EXPORT_CHRONOLOGY)}</h2><table class="log"><thead><tr>'
        f"<th>{escape(strings.EXPORT_WHEN)}<small>{escape(record.timezone)}</small></th>{column}"
        f"</tr></thead><tbody>{lines}</tbody></table>"
        f"<footer>{exported}. {keep}</footer></body></html>\n"
    )


def _line(cards: CardMaker, entry: ChronologyEntry, tz: ZoneInfo, flow_id: str) -> Line:
    what = strings.EVENT_LABELS.get(entry.what, entry.what.replace("_", " "))
    detail, details = entry.detail, []
    if entry.what == "action":
        what += f": {_action_label(cards, str(detail.get('action')))}"
    elif entry.what == "closed" and detail.get("decision"):
        what += f": {labels.decision_labels(cards.flows, detail)}"
    elif entry.what == "recategorised":
        what = (
            f"{strings.CASE_RECATEGORISED}: {labels.category_change(cards.flows, flow_id, detail)}"
        )
    elif entry.what == "refused" and detail.get("action"):
        action = str(detail["action"]).replace("_", " ")
        if detail.get("repeats"):
            action = strings.REFUSED_REPEATS.format(
                action=action,
                repeats=detail["repeats"],
                first=_moment(str(detail.get("first_at")), tz),
                last=_moment(str(detail.get("last_at")), tz),
            )
        details.append(strings.REFUSED_TRIED.format(action=action))
    if detail.get("done_at"):
        details.append(strings.EXPORT_DONE_AT.format(when=_moment(str(detail["done_at"]), tz)))
    if detail.get("criteria"):
        named = [_option(cards, "referral_criteria", str(c)) for c in detail["criteria"]]
        details.append(strings.EXPORT_CRITERIA.format(criteria="; ".join(named)))
    if entry.what == "closed":
        details += labels.close_answers(cards.flows, detail)
    if detail.get("format"):
        details.append(strings.EXPORT_FORMAT.format(format=str(detail["format"]).upper()))
    if detail.get("recipients"):
        n = detail["recipients"]
        if detail.get("level"):
            details.append(strings.EXPORT_REMINDER_SENT_TO.format(level=detail["level"], n=n))
        else:
            details.append(strings.EXPORT_SENT_TO.format(n=n))
    texts = entry.text or {}
    if len(texts) == 1 and not details:  # a note or a reason on its own needs no label
        details.append(str(*texts.values()))
    else:
        details += [
            f"{labels.step_label(cards.flows, entry.what, key)}: {value}"
            for key, value in texts.items()
        ]
    name, email = (cards.name(entry.who), entry.who) if entry.who else (strings.THE_BOT, "")
    email = "" if name == email else email
    what = what[:1].upper() + what[1:]
    return Line(_stamp(entry.at, tz), name, email, what, "\n".join(details))


def _who(cards: CardMaker, email: str) -> str:
    name = cards.name(email)
    return email if name == email else f"{name} ({email})"


def _action_label(cards: CardMaker, value: str) -> str:
    """An action as the case flow for actions words it (its `action` step's options)."""
    return labels.option_label(cards.flows, "action", "action", value)


def _option(cards: CardMaker, step_id: str, value: str) -> str:
    """A closing decision or referral criterion as the case flow for closing words it."""
    flow = case_flow(cards.flows, "close")
    for step in flow.spec.steps if flow else ():
        if step.id == step_id:
            return {o.value: o.label for o in step.options}.get(value, value)
    return value


def _moment(stored: str, tz: ZoneInfo) -> str:
    try:
        moment = load_moment(stored)
    except ValueError:
        return stored
    return _stamp(moment, tz) if isinstance(moment, datetime) else moment.isoformat()


def _stamp(moment: datetime | None, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}" if moment else ""


_CSS = """
@page { size: A4; margin: 15mm 14mm 16mm;
  @top-center { content: "Confidential: safeguarding record"; font: 8pt sans-serif; color: #a00; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt sans-serif; } }
body { font: 10pt/1.4 system-ui, Arial, sans-serif; color: #111; margin: 0 auto; max-width: 190mm;
  padding: 8mm 0; }
.banner { border: 2px solid #a00; color: #a00; font-weight: 700; text-align: center; padding: 2mm;
  margin: 0 0 4mm; letter-spacing: .05em; text-transform: uppercase; }
h1 { font-size: 15pt; margin: 0 0 3mm; } h2 { font-size: 12pt; margin: 6mm 0 2mm; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { border: 1px solid #999; padding: 1.5mm 2mm; text-align: left; vertical-align: top;
  overflow-wrap: break-word; white-space: pre-wrap; }
th { background: #eee; font-weight: 600; } .facts th { width: 32%; }
.log th:nth-child(1) { width: 17%; } .log th:nth-child(2) { width: 22%; }
.log th:nth-child(3) { width: 23%; } thead { display: table-header-group; }
small { display: block; color: #555; font-size: 8pt; overflow-wrap: anywhere; }
tr { break-inside: avoid; } h2 { break-after: avoid; }
footer { margin-top: 6mm; padding-top: 2mm; border-top: 1px solid #999; font-size: 8.5pt; }
@media print { body { padding: 0; max-width: none; }
  .banner, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""
