"""A case's chronology for the record: a CSV for Excel and a printable, self-contained HTML page.

Pure functions over data: whoever exports (the web route, the chat's "Export the chronology"
button, Teams' file consent) reads the case, checks the person and records the export;
everything here only turns what was read into text. Every piece of text from a report or
a note is untrusted: cells are guarded against spreadsheet formulas, and the page escapes it all.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from bot.cases.cards import CardMaker
from bot.cases.service import ChronologyEntry
from bot.reports.urgency import urgency_label
from bot.words import strings
from dialogs.datetimes import load_moment
from dialogs.loader import case_flow
from storage.models import Report

BANNER = strings.EXPORT_BANNER
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# The web chat's download of a case's chronology (bot/channels/web/export_routes.py).
CHRONOLOGY_PATH = "/api/web/cases/{case_id}/chronology.{extension}"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
    lines = tuple(_line(cards, entry, tz) for entry in entries)
    return CaseRecord(
        reference=report.reference or f"case-{report.id}",
        timezone=cards.school.timezone,
        header=tuple(header),
        answers=answers,
        lines=lines,
        exported_by=_who(cards, exported_by),
        exported_at=_stamp(now, tz),
    )


def filename(record: CaseRecord, extension: str) -> str:
    return f"{re.sub(r'[^A-Za-z0-9-]', '', record.reference) or 'case'}-chronology.{extension}"


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: never run as a formula (CSV injection)."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


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


def _line(cards: CardMaker, entry: ChronologyEntry, tz: ZoneInfo) -> Line:
    what = strings.EVENT_LABELS.get(entry.what, entry.what.replace("_", " "))
    detail, details = entry.detail, []
    if entry.what == "action":
        what += f": {_action_label(cards, str(detail.get('action')))}"
    elif entry.what == "closed" and detail.get("decision"):
        what += f": {_option(cards, 'decision', str(detail['decision']))}"
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
        details += [f"{key.capitalize()}: {value}" for key, value in texts.items()]
    name, email = (cards.name(entry.who), entry.who) if entry.who else (strings.THE_BOT, "")
    email = "" if name == email else email
    what = what[:1].upper() + what[1:]
    return Line(_stamp(entry.at, tz), name, email, what, "\n".join(details))


def _who(cards: CardMaker, email: str) -> str:
    name = cards.name(email)
    return email if name == email else f"{name} ({email})"


def _action_label(cards: CardMaker, value: str) -> str:
    """An action as the case flow for actions words it (its `action` step's options)."""
    flow = case_flow(cards.flows, "action")
    return (flow.spec.option_label("action", value) if flow is not None else None) or value


def _option(cards: CardMaker, step_id: str, value: str) -> str:
    flow = cards.flows.get("case_close")
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
