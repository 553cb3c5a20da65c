"""A card's files in Slack: each goes out right after the message holding its card, with its
title and (an image's only) alt text; the card shows no dead link to the bot's own pages."""

from __future__ import annotations

import json

from bot.channels.slack.files import ALT_TEXT_MAX, FileUpload, render_with_files
from bot.channels.slack.render import render_turn
from bot.delivery.messages import Attachment, Card, Link, Notice

CHART = Attachment(
    "chart.png",
    "image/png",
    b"\x89PNG...",
    "Chart: <the> results",
    alt_text="x" * 1500,
    link=Link("Download the chart (PNG)", "/api/audit/7/chart.png"),
)
SHEET = Attachment(
    "answers.csv",
    "text/csv; charset=utf-8",
    b"Name,Email\r\n",
    "Everyone's answers (CSV)",
    alt_text="ignored: not an image",
    link=Link("Download everyone's answers (CSV)", "/api/audit/7/results.csv"),
)


def test_each_cards_files_follow_the_message_that_holds_it():
    before = Notice("Here are the results.", "info")
    card = Card("audit-results-7", "Results", text="3 of 6 finished.", attachments=(CHART, SHEET))
    after = Card("audit-needs-7", "Training needs")
    steps = render_with_files([before, card, after])
    first, chart, sheet, last = steps
    assert isinstance(chart, FileUpload) and isinstance(sheet, FileUpload)
    assert first == render_turn([before, card])[0]  # the notice and the card, as ever
    assert last == render_turn([after])[0]
    assert (chart.filename, chart.title, chart.data) == ("chart.png", CHART.title, CHART.data)
    assert chart.alt_text == "x" * ALT_TEXT_MAX  # Slack refuses a longer one
    assert (sheet.filename, sheet.alt_text) == ("answers.csv", None)
    shown = json.dumps(first)
    assert "/api/audit/" not in shown and "Download" not in shown  # the files come instead
    assert "\\x89PNG" not in repr(chart)  # the bytes are never shown


def test_without_files_it_is_render_turn():
    messages = [Notice("Hello", "info"), Card("c", "A card", links=(Link("Page", "/p"),))]
    assert render_with_files(messages) == render_turn(messages)
