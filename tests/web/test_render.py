"""The web renderer is pure: each neutral message becomes the exact JSON the page draws.

The expected JSON lives in tests/web/expected/. It was written once and reviewed by eye; a change
to the page's wire format must update it deliberately.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.channels.web.render import render, render_all
from bot.delivery.messages import Answered, Attachment, Card, Link, Outbound, Question
from tests.support.samples import CARD, MULTI_QUESTION, NOTICE, SUMMARY

EXPECTED = Path(__file__).parent / "expected"

# The page sends back the click token of the question and the summary it shows.
QUESTION = replace(
    MULTI_QUESTION, current_answer="Coercion, blackmail or grooming", token="image_indicators.6"
)
SUMMARY = replace(SUMMARY, token="_summary.19")

CASES: dict[str, Outbound] = {
    "card": CARD,
    "notice": NOTICE,
    "question": QUESTION,
    "summary": SUMMARY,
}


def _expected(name: str) -> Any:
    return json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_render_matches_the_stored_json(name: str) -> None:
    rendered = render(CASES[name])
    assert rendered == _expected(name)
    # What goes down the websocket is JSON: it must survive the trip unchanged.
    assert json.loads(json.dumps(rendered)) == rendered


def test_render_is_pure() -> None:
    first = render(QUESTION)
    first["options"].clear()
    first["progress"][0] = 99
    assert render(QUESTION) == _expected("question")


def test_text_is_passed_through_verbatim_for_the_page_to_show_with_textcontent() -> None:
    rendered = render(NOTICE)
    assert rendered["restore_text"] == NOTICE.restore_text
    assert "&lt;" not in json.dumps(rendered)


def test_a_plain_question_has_no_progress_and_empty_lists() -> None:
    menu = Question(step_id=None, input="menu", text="Hello Tom. What would you like to do?")
    rendered = render(menu)
    assert rendered["progress"] is None
    assert rendered["options"] == []
    assert rendered["actions"] == []
    assert rendered["current_answer"] is None


def test_render_all_keeps_the_order() -> None:
    assert [m["kind"] for m in render_all([SUMMARY, NOTICE, QUESTION])] == [
        "summary",
        "notice",
        "question",
    ]
    assert render_all([]) == []


def test_a_card_update_keeps_the_id_and_may_drop_its_buttons() -> None:
    update = Card(
        card_id=CARD.card_id,
        title=CARD.title,
        tone="info",
        fields=CARD.fields[:1],
        footer="Acknowledged by Alice Hartley at 10:42",
    )
    rendered = render(update)
    assert rendered["card_id"] == _expected("card")["card_id"]
    assert rendered["actions"] == []
    assert rendered["text"] is None
    assert rendered["fields"] == [{"label": "Reference", "value": "OS-2026-00042"}]
    assert rendered["footer"] == "Acknowledged by Alice Hartley at 10:42"


def test_a_cards_files_are_links_to_the_bots_own_pages_never_their_bytes() -> None:
    chart = Attachment(
        "chart.png",
        "image/png",
        b"\x89PNG secret bytes",
        "Chart",
        link=Link("Download the chart (PNG)", "/api/audit/7/chart.png"),
    )
    unlinked = Attachment("x.csv", "text/csv", b"Name,Email", "No page for this one")
    card = replace(CARD, attachments=(chart, unlinked))
    rendered = render(card)
    assert rendered["links"] == [
        {"label": "Printable chronology", "href": "/api/web/cases/42/chronology.html"},
        {"label": "Download the chart (PNG)", "href": "/api/audit/7/chart.png"},
    ]
    assert "secret" not in json.dumps(rendered) and "Name,Email" not in json.dumps(rendered)


def test_render_refuses_what_it_does_not_know() -> None:
    with pytest.raises(TypeError, match="cannot render str"):
        render("hello")  # type: ignore[arg-type]


def test_a_question_and_a_summary_carry_their_click_token_for_the_page_to_send_back() -> None:
    assert render(QUESTION)["token"] == "image_indicators.6"
    assert render(SUMMARY)["token"] == "_summary.19"


def test_answered_is_not_drawn() -> None:
    """The page disables an old question's buttons itself: nothing to draw for it."""
    assert render_all([Answered("category.2", QUESTION, "Cyber-bullying"), NOTICE]) == [
        render(NOTICE)
    ]


def test_a_refused_answer_is_said_to_be_back_in_the_box_only_where_it_is() -> None:
    # The page puts `restore_text` back in the box (app.js restoreText); the shared words no
    # longer say so, as Teams and Slack cannot: the web chat says it itself.
    assert render(NOTICE)["text"].endswith(
        " Your text has been put back in the box so you can edit it."
    )
    plain = render(replace(NOTICE, restore_text=None))["text"]
    assert "box" not in plain and plain == NOTICE.text
