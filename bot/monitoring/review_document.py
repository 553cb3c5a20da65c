"""The review document for governors: one self-contained HTML page (its style inline, no link,
no script, no image fetched) and the same page as a PDF, made with WeasyPrint.

Every text that comes from a person or the school file is escaped: an answer that reads
`<script>` is shown as those characters. The headings are the review flow's step labels, in the
flow's order (dialogs/flows/filtering_review.yaml), after the named roles and the figures.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from bot.monitoring.review_figures import Figure, Section
from bot.words import strings
from dialogs.model import FlowSpec

_STYLE = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1b1b1b;
       font-size: 11pt; line-height: 1.45; max-width: 46rem; margin: 1.5rem auto; }
h1 { font-size: 19pt; margin: 0 0 .2rem; color: #0b3d5c; }
h3 { font-size: 11.5pt; margin: 1rem 0 .3rem; color: #0b3d5c; }
h2 { font-size: 13pt; margin: 1.4rem 0 .4rem; color: #0b3d5c;
     border-bottom: 1px solid #c8d3dc; padding-bottom: .15rem; }
p.meta { color: #4a4a4a; margin: 0 0 .8rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem;
         border-bottom: 1px solid #e2e7eb; }
th { width: 45%; font-weight: normal; color: #333; }
td { font-weight: bold; }
.answer { white-space: pre-wrap; margin: 0; }
.none { color: #6b6b6b; font-style: italic; }
footer { margin-top: 2rem; font-size: 9pt; color: #555; }
"""


# The figures under "The year in figures", each kind under its own heading, in this order.
_FIGURE_HEADINGS: dict[Section, str] = {
    "reports": strings.REVIEW_DOC_FIG_REPORTS,
    "alerts": strings.REVIEW_DOC_FIG_ALERTS,
    "checks": strings.REVIEW_DOC_FIG_CHECKS,
}


@dataclass(frozen=True)
class ReviewDocument:
    school: str
    year: int
    period: str  # the twelve months the figures cover, in words
    roles: Sequence[tuple[str, str]]  # (role, who)
    figures: Sequence[Figure]
    spec: FlowSpec  # the review flow: its steps' labels are the headings
    answers: dict[str, Any]
    completed_by: str | None
    completed_at: datetime | None
    tz: ZoneInfo

    def headings(self) -> list[str]:
        """Every heading of the document, in order (the tests look for each)."""
        return [
            strings.REVIEW_DOC_ROLES,
            strings.REVIEW_DOC_FIGURES,
            *_FIGURE_HEADINGS.values(),
            *(step.label for step in self.spec.steps),
        ]


def review_html(doc: ReviewDocument) -> str:
    title = strings.REVIEW_DOC_TITLE.format(year=doc.year)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(doc.school)}. '
        f"{escape(strings.REVIEW_DOC_PERIOD.format(period=doc.period))}</p>",
        f"<h2>{escape(strings.REVIEW_DOC_ROLES)}</h2>",
        _table(doc.roles),
        f"<h2>{escape(strings.REVIEW_DOC_FIGURES)}</h2>",
        f"<p>{escape(strings.REVIEW_DOC_FIGURES_NOTE)}</p>",
    ]
    for section, heading in _FIGURE_HEADINGS.items():
        rows = [(f.label, f.value) for f in doc.figures if f.section == section]
        parts.append(f"<h3>{escape(heading)}</h3>")
        if rows:
            parts.append(_table(rows))
        else:
            parts.append(f'<p class="answer none">{escape(strings.REVIEW_NO_FIGURES)}</p>')
    for step in doc.spec.steps:
        answer = doc.answers.get(step.id)
        parts.append(f"<h2>{escape(step.label)}</h2>")
        if answer in (None, ""):
            parts.append(f'<p class="answer none">{escape(strings.REVIEW_DOC_NO_ANSWER)}</p>')
        else:
            parts.append(f'<p class="answer">{escape(str(answer))}</p>')
    if doc.completed_at is not None:
        when = doc.completed_at.astimezone(doc.tz).strftime("%d/%m/%Y %H:%M")
        signed = strings.REVIEW_DOC_COMPLETED.format(who=doc.completed_by or "", when=when)
        parts.append(f"<footer>{escape(signed)}</footer>")
    parts.append("</body></html>")
    return "\n".join(parts)


def review_pdf(html: str) -> bytes:
    """The page as a PDF. WeasyPrint is imported here: it loads Pango, which only this needs."""
    # Its progress is logged at INFO, a line per step and page (from the import on): not the
    # bot's log's business.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    from weasyprint import HTML  # type: ignore[import-untyped]

    # No base URL and no url_fetcher use: the page links nothing, so nothing is fetched.
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def _table(rows: Sequence[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in rows
    )
    return f"<table>{cells}</table>"
