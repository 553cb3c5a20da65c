"""The Teams renderer is pure, keeps within Teams' limits, never lets anyone's text format, link
or mention, and every button it draws comes back through the parser as the option it shows.

Every card is checked against tests/teams/adaptive_card_1_5.schema.json: our own closed schema
of the subset of Adaptive Cards 1.5 that the renderer emits (written from the 1.5 schema, with
Teams' limits). It has no TextBlock or Fact, whose text Teams reads as markdown, so passing it
means every text went out as a plain TextRun. Each activity is also loaded by the Agents SDK's
own Activity model, as the handler will, to show that nothing is lost on the way.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from bot.cases.cards import CardMaker
from bot.channels.teams.cards import (
    ACTIONS_PER_SET,
    BUTTON_TITLE_MAX,
    TEXT_PIECE_BYTES,
    json_size,
    split_text,
)
from bot.channels.teams.render import (
    CardTooLarge,
    card_values,
    escape_teams_markdown,
    render_card_update,
    render_turn,
)
from bot.delivery.messages import (
    Card,
    CardField,
    Link,
    Notice,
    Option,
    Outbound,
    Question,
    Summary,
    SummaryRow,
)
from bot.school.config import load_school_config
from dialogs.display import cancel_question, question_for
from dialogs.engine import Dialog, DialogState
from dialogs.loader import BUILTIN_FLOWS, load_flows
from dialogs.strings import HELP_COMMANDS, SUMMARY_TEXT
from storage.crypto import Cipher, where
from storage.models import Outbox, Report
from tests.conftest import EXAMPLE_CONFIG
from tests.support import samples
from tests.support.samples import (
    ACTIONS,
    CARD,
    CHOICE_QUESTION,
    MULTI_QUESTION,
    NOTICE,
    PERSON_QUESTION,
    SUMMARY,
    TEXT_QUESTION,
)
from tests.teams.render_checks import (
    SCHEMA,
    VALIDATOR,
    buttons_of,
    card_of,
    check_activity,
    check_round_trips,
    check_turn,
    press,
    runs,
    shown,
    walk,
)

TZ = ZoneInfo("Europe/London")

CASES: dict[str, Outbound] = {
    "card": CARD,
    "notice": NOTICE,
    "question_choice": CHOICE_QUESTION,
    "question_multi": MULTI_QUESTION,
    "question_text": TEXT_QUESTION,
    "question_person": PERSON_QUESTION,
    "summary": SUMMARY,
}
INJECTION = (
    "**bold** _it_ [link](http://evil.example/x) <at>Head</at> @channel <script>alert(1)</script> "
    "&amp; &lt;b&gt; # heading\n- list\n1. item\n> quote `code` ~~gone~~ https://evil.example"
)


# --- checking what is sent ---------------------------------------------------------------------


def test_the_schema_is_a_schema_and_refuses_what_teams_would_misread() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    (activity,) = render_turn([CHOICE_QUESTION])
    good = card_of(activity)
    assert VALIDATOR.is_valid(good)
    markdown = {"type": "TextBlock", "text": "**bold**", "wrap": True}
    link = {"type": "Action.OpenUrl", "title": "Open", "url": "https://evil.example"}
    misspelt = {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "x", "bold": 1}]}
    seven = {"type": "ActionSet", "actions": [good["body"][-1]["actions"][0]] * 7}
    for element in (markdown, {"type": "ActionSet", "actions": [link]}, misspelt, seven):
        assert not VALIDATOR.is_valid(good | {"body": [element]})
    comma = {"type": "Input.ChoiceSet", "id": "x", "choices": [{"title": "A", "value": "a,b"}]}
    assert not VALIDATOR.is_valid(good | {"body": [comma]})
    assert not VALIDATOR.is_valid(good | {"msteams": {"entities": []}})


# --- each kind of message ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_kind_renders_valid_cards_whose_buttons_round_trip(name: str) -> None:
    message = CASES[name]
    pressed = check_round_trips(message)
    person = isinstance(message, Question) and message.input == "person"
    picked = [o.value for o in message.options] if person else []
    if isinstance(message, Summary):  # Change, with each answer chosen in its list, comes first
        picked = [f"edit:{row.step_id}" for row in message.rows]
    assert [i.value for i in pressed if i.value is not None] == picked + buttons_of(message)
    multi = isinstance(message, Question) and message.input == "multi_choice"
    assert any(i.values is not None for i in pressed) == multi


def test_a_question_card_in_full() -> None:
    question = replace(CHOICE_QUESTION, current_answer=None, hint=None, actions=ACTIONS[3:])
    (activity,) = check_turn([question])
    assert activity["summary"] == "What kind of concern is it?"
    assert card_of(activity) == {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "fallbackText": "What kind of concern is it?",
        "body": [
            {
                "type": "RichTextBlock",
                "inlines": [
                    {"type": "TextRun", "text": "What kind of concern is it?", "weight": "bolder"}
                ],
            },
            {
                "type": "RichTextBlock",
                "inlines": [{"type": "TextRun", "text": "Question 2 of 17", "isSubtle": True}],
            },
            {
                "type": "ActionSet",
                "actions": [
                    {
                        "type": "Action.Submit",
                        "title": "Cyber-bullying",
                        "data": {"os": 1, "v": "bullying"},
                    }
                ],
            },
            {
                "type": "ActionSet",
                "actions": [
                    {
                        "type": "Action.Submit",
                        "title": "Sharing nude or semi-nude images",
                        "data": {"os": 1, "v": "images"},
                    }
                ],
            },
            {
                "type": "ActionSet",
                "actions": [
                    {
                        "type": "Action.Submit",
                        "title": "Something else",
                        "data": {"os": 1, "v": "other"},
                    }
                ],
            },
            {
                "type": "ActionSet",
                "actions": [
                    {
                        "type": "Action.Submit",
                        "title": "Cancel",  # only asks: not red (destructive)
                        "data": {"os": 1, "v": "__cancel"},
                    }
                ],
            },
        ],
        "msteams": {"width": "Full"},
    }


def test_render_is_pure() -> None:
    first = render_turn([SUMMARY, CARD])
    card_of(first[0])["body"].clear()
    assert render_turn([SUMMARY, CARD]) == render_turn([SUMMARY, CARD])
    assert card_of(render_turn([SUMMARY])[0])["body"]


def test_a_turns_prompts_share_one_activity_and_a_case_card_stands_alone() -> None:
    (together,) = check_turn([NOTICE, CHOICE_QUESTION])  # one call to Teams, not two
    assert together["summary"] == CHOICE_QUESTION.text  # the question to answer, in the preview
    assert NOTICE.text in shown([together]) and CHOICE_QUESTION.text in shown([together])
    card = Card(card_id="case-1", title="Online-safety concern OS-2026-00001")
    first, alone, last = check_turn([NOTICE, card, CHOICE_QUESTION])
    assert card.title in shown([alone]) and NOTICE.text not in shown([alone])
    assert NOTICE.text in shown([first]) and CHOICE_QUESTION.text in shown([last])
    assert render_turn([]) == []


def test_a_multi_choice_question_ticks_boxes_then_presses_done() -> None:
    (activity,) = check_turn([MULTI_QUESTION])
    nodes = walk(card_of(activity))
    (choices,) = [node for node in nodes if node.get("type") == "Input.ChoiceSet"]
    assert (choices["isMultiSelect"], choices["style"], choices["wrap"]) == (True, "expanded", True)
    assert [(c["title"], c["value"]) for c in choices["choices"]] == [
        (o.label, o.value) for o in MULTI_QUESTION.options
    ]
    (done,) = [node for node in nodes if node.get("data", {}).get("multi") is not None]
    assert (done["title"], done["data"], done["style"]) == (
        "Done",
        {"os": 1, "multi": "image_indicators"},
        "positive",
    )
    assert "Tick all that apply, then press Done." in shown([activity])


def test_a_multi_choice_value_with_a_comma_is_refused() -> None:
    bad = replace(MULTI_QUESTION, options=(Option("a,b", "A and B"),))
    with pytest.raises(ValueError, match="no comma"):
        render_turn([bad])


def test_text_and_datetime_questions_ask_for_a_typed_reply_without_option_buttons() -> None:
    when = Question(step_id="happened_at", input="datetime", text="When did it happen?")
    for question in (TEXT_QUESTION, when):
        (activity,) = check_turn([replace(question, actions=())])
        assert card_values(activity) == []
        assert "Type your answer as a message." in shown([activity])
    assert "today 10:15" in shown(render_turn([when]))
    assert "Up to 4,000 characters." in shown(render_turn([TEXT_QUESTION]))


def test_the_current_answer_and_the_guidance_are_shown() -> None:
    text = shown(check_turn([TEXT_QUESTION, MULTI_QUESTION]))
    assert "Current answer: AB showed me messages calling her names & worse." in text
    assert "ℹ️ Do not view, copy or forward the image.\n• Keep the device secure." in text
    (activity,) = render_turn([MULTI_QUESTION])
    assert card_of(activity)["body"][0]["style"] == "accent"  # guidance stands out


def test_a_summary_has_one_change_list_of_its_answers_and_one_change_button() -> None:
    (activity,) = check_turn([SUMMARY])
    assert not [n for n in walk(activity) if n.get("data", {}).get("v", "").startswith("edit:")]
    (changes,) = [n for n in walk(activity) if n.get("type") == "Input.ChoiceSet"]
    assert changes["style"] == "compact" and changes["label"] == "Change an answer"
    assert [c["value"] for c in changes["choices"]] == [f"edit:{r.step_id}" for r in SUMMARY.rows]
    assert changes["choices"][2]["title"] == "Pupils involved"
    assert changes["value"] == changes["choices"][0]["value"]  # Change never sends nothing
    (change,) = [n for n in walk(activity) if "change" in n.get("data", {})]
    assert change["title"] == "Change"
    assert "Pupils involved\nAB (Year 5), victim\nCD (Year 6)" in shown([activity])


def test_a_summarys_cancel_is_not_red_but_the_cancel_confirmations_yes_is() -> None:
    (summary,) = check_turn([SUMMARY])
    assert not [n for n in walk(summary) if n.get("style") == "destructive"]
    confirm = Question(
        step_id=None,
        input="confirm",
        text="Do you want to cancel this report?",
        options=(
            Option("__cancel_no", "No, carry on", "primary"),
            Option("__cancel_yes", "Yes, cancel", "danger"),
        ),
    )
    (activity,) = check_turn([confirm])
    styles = {n["data"]["v"]: n.get("style") for n in walk(activity) if "data" in n}
    assert styles == {"__cancel_no": "positive", "__cancel_yes": "destructive"}


def test_a_long_refused_answer_is_said_to_be_long_and_begun_not_sent_back_whole() -> None:
    answer = _long_answer(100_000)
    (activity,) = check_turn([Notice("Too long.", "error", restore_text=answer)])
    text = shown([activity])
    assert "Your answer was 100,000 characters" in text
    assert "“" + answer[:200].rstrip() + "…”" in text
    assert answer[:201] not in text


def test_a_defanged_address_is_shown_as_it_comes_and_never_as_a_link() -> None:
    activities = check_turn([SUMMARY])
    assert "hxxps://example[.]com/chat" in runs(activities)
    assert "example.com" not in json.dumps(activities)


def test_links_to_the_bots_own_pages_are_left_out() -> None:
    activities = check_turn([CARD])
    assert "/api/web/cases/42/chronology.html" not in json.dumps(activities)
    assert not any("url" in node for node in walk(activities))


@pytest.mark.parametrize(
    ("tone", "style", "sign"),
    [
        ("info", None, ""),
        ("guidance", "accent", "ℹ️ "),
        ("warning", "warning", "⚠️ "),
        ("error", "attention", "⚠️ "),
        ("success", "good", "✅ "),
        ("urgent", "attention", ""),
    ],
)
def test_a_tone_is_a_container_style_and_a_sign(tone: Any, style: str | None, sign: str) -> None:
    (activity,) = check_turn([Notice("Saved.", tone)])
    first = card_of(activity)["body"][0]
    assert first.get("style") == style
    assert shown([activity]).endswith(f"{sign}Saved.")


def test_urgent_says_so_in_words_too() -> None:
    for message in (Notice("Call 999 now.", "urgent"), CARD):
        (activity,) = check_turn([message])
        (urgent,) = [n for n in walk(activity) if n.get("text") == "🚨 Urgent"]
        assert (urgent["weight"], urgent["color"]) == ("bolder", "attention")
        assert card_of(activity)["body"][0]["style"] == "attention"
    assert render_turn([Notice("Call 999 now.", "urgent")])[0]["summary"] == "Urgent: Call 999 now."


def test_a_rejected_answer_is_handed_back_in_a_block_of_its_own() -> None:
    (activity,) = check_turn([NOTICE])
    body = card_of(activity)["body"]
    assert body[-1] == {
        "type": "RichTextBlock",
        "inlines": [{"type": "TextRun", "text": NOTICE.restore_text}],
    }


def test_long_labels_are_shortened_on_buttons_only_and_given_in_full() -> None:
    label = "A very long option label that goes on and on and on and on "
    question = Question(
        step_id="s",
        input="choice",
        text="Which?",
        options=tuple(Option(f"o{i}", f"{label}{i}") for i in range(30)),
    )
    activities = check_turn([question])
    buttons = [n for n in walk(activities) if n.get("type") == "Action.Submit"]
    assert [b["data"]["v"] for b in buttons] == [f"o{i}" for i in range(30)]
    assert all(len(b["title"]) <= BUTTON_TITLE_MAX and b["title"].endswith("…") for b in buttons)
    assert [b["tooltip"] for b in buttons] == [o.label for o in question.options]
    text = shown(activities)
    assert all(f"{i + 1}. {label}{i}" in text for i in range(30))


def test_buttons_share_rows_of_at_most_six_while_they_fit() -> None:
    many = Question(
        step_id="s",
        input="choice",
        text="Which?",
        options=tuple(Option(f"v{i}", f"{i}") for i in range(20)),
    )
    (activity,) = check_turn([many])
    sets = [n for n in walk(activity) if n.get("type") == "ActionSet"]
    assert [len(s["actions"]) for s in sets] == [6, 6, 6, 2]
    assert ACTIONS_PER_SET == 6


# --- nothing anyone wrote can format, link or mention ------------------------------------------


def _injected() -> list[Outbound]:
    evil = INJECTION
    option = Option("bad", evil)
    return [
        Notice(evil, "urgent", restore_text=evil),
        Notice(evil, "guidance"),
        Question(
            step_id="s",
            input="choice",
            text=evil,
            options=(option,),
            hint=evil,
            guidance=evil,
            current_answer=evil,
            actions=ACTIONS,
        ),
        Question(step_id="m", input="multi_choice", text=evil, options=(Option("v", evil),)),
        Question(step_id="t", input="text", text=evil, hint=evil, current_answer=evil),
        Summary(evil, (SummaryRow("x", evil, evil),), evil, (option,)),
        Card(
            card_id="c",
            title=evil,
            tone="warning",
            text=evil,
            fields=(CardField(evil, evil), CardField(evil, evil * 40)),
            actions=(option,),
            footer=evil,
            links=(Link(evil, "/api/web/<b>"),),
        ),
    ]


def test_what_anyone_wrote_is_plain_text_shown_exactly_as_written() -> None:
    activities = check_turn(_injected())  # the schema has no markdown surface at all
    texts = runs(activities)
    assert sum(INJECTION in text for text in texts) >= 15
    nodes = walk(activities)
    assert not [n for n in nodes if n.get("type") in {"TextBlock", "FactSet", "Fact"}]
    assert not [n for n in nodes if "entities" in n or "selectAction" in n]
    choice_titles = [c["title"] for n in nodes for c in n.get("choices", [])]
    assert choice_titles == [INJECTION] * 2  # choice titles are plain text in Teams


def test_escape_teams_markdown_leaves_nothing_to_interpret() -> None:
    escaped = escape_teams_markdown(INJECTION)
    specials = set("\\`*_{}[]()#+-.!|~<>&:")
    index = 0
    while index < len(escaped):  # every mark comes escaped, and only marks are escaped
        if escaped[index] == "\\":
            assert escaped[index + 1] in specials
            index += 2
        else:
            assert escaped[index] not in specials, escaped[index:]
            index += 1
    assert escaped.startswith(r"\*\*bold\*\* \_it\_ \[link\]\(http\:")
    assert r"\<at\>Head\</at\>" in escaped and r"evil\.example" in escaped
    assert "@channel" in escaped  # Teams mentions need <at> and entities, never a bare @


def test_escape_teams_markdown_loses_nothing() -> None:
    escaped = escape_teams_markdown(INJECTION + "\\ back\\slash")
    assert re.sub(r"\\(.)", r"\1", escaped) == INJECTION + "\\ back\\slash"
    assert escape_teams_markdown("Plain words 123") == "Plain words 123"


# --- nothing is lost ---------------------------------------------------------------------------


def _long_answer(length: int) -> str:
    words = 'AB said "stop" & ran off 😀 then CD wrote *it* in the group chat. \n'
    return (words * (length // len(words) + 1))[:length]


@pytest.mark.parametrize("where", ["summary", "card", "notice", "current"])
def test_a_40000_character_answer_arrives_whole(where: str) -> None:
    answer = _long_answer(40_000)
    messages: dict[str, Outbound] = {
        "summary": Summary("Check", (SummaryRow("what", "What happened", answer),), "Check."),
        "card": replace(CARD, fields=(CardField("What happened", answer),)),
        "notice": Notice(answer, "info"),
        "current": replace(TEXT_QUESTION, current_answer=answer),
    }
    message = messages[where]
    activities = check_turn([message])
    assert len(activities) >= 3
    assert answer in shown(activities)
    assert all(a["summary"].endswith(" (continued)") for a in activities[1:])
    check_round_trips(message)  # the buttons come after the text, and still work


def test_split_text_cuts_at_breaks_within_the_limit_and_loses_nothing() -> None:
    prose = _long_answer(20_000)
    pieces = split_text(prose, TEXT_PIECE_BYTES)
    assert "".join(pieces) == prose
    assert all(json_size(piece) <= TEXT_PIECE_BYTES for piece in pieces)
    assert all(piece.endswith(("\n", " ")) for piece in pieces[:-1])
    for dense in ("😀" * 5000, '"' * 5000, "\\" * 5000, "x" * 9000):
        pieces = split_text(dense, TEXT_PIECE_BYTES)
        assert "".join(pieces) == dense and len(pieces) >= 2
        assert all(json_size(piece) <= TEXT_PIECE_BYTES for piece in pieces)


def test_blank_text_is_shown_as_blank() -> None:
    activities = check_turn([Summary("Check", (SummaryRow("x", "Who", "  "),), "")])
    assert "(blank)" in runs(activities)


# --- card updates ------------------------------------------------------------------------------


def test_a_card_update_is_the_card_as_one_activity() -> None:
    assert render_card_update(CARD) == render_turn([CARD])[0]
    acknowledged = replace(CARD, tone="info", actions=(), footer="Acknowledged by Alice Hartley")
    update = render_card_update(acknowledged)
    check_activity(update)
    assert card_values(update) == []
    assert "Acknowledged by Alice Hartley" in shown([update])


def test_a_card_too_large_for_one_activity_is_refused_for_update_not_cut() -> None:
    huge = replace(CARD, fields=tuple(CardField(f"Answer {i}", "x" * 4000) for i in range(5)))
    with pytest.raises(CardTooLarge):
        render_card_update(huge)
    activities = check_turn([huge])
    assert len(activities) > 1
    assert shown(activities).count("x" * 4000) == 5


def test_render_refuses_what_it_does_not_know() -> None:
    with pytest.raises(TypeError, match="cannot render str"):
        render_turn(["hello"])  # type: ignore[list-item]


def test_a_button_without_a_value_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        render_turn([replace(CHOICE_QUESTION, options=(Option("", "Nothing"),))])


# --- every message the bot can send ------------------------------------------------------------


def _builtin_messages() -> list[Outbound]:
    """The intro, help, every step's question (also with a long current answer) and a summary
    of each built-in flow, and the cancel questions."""
    messages: list[Outbound] = [cancel_question(False), cancel_question(True)]
    for flow in load_flows(BUILTIN_FLOWS).values():
        dialog = Dialog(flow, tz=TZ, clock=lambda: datetime(2026, 3, 2, 10, tzinfo=UTC))
        context = {name: "yes" for name in flow.spec.context}
        messages += dialog.start(context).prompts
        messages.append(Notice(f"{flow.spec.help}\n\n{HELP_COMMANDS}", "guidance"))
        for step in flow.spec.steps:
            state = DialogState(flow.id, flow.spec.version, step.id, context=context)
            state.history = ["earlier"]
            question = question_for(dialog, state, step)
            messages += [question, replace(question, current_answer=_long_answer(4000))]
        rows = tuple(SummaryRow(s.id, s.label, f"Answer to {s.id}") for s in flow.spec.steps)
        options = (Option("__submit", flow.spec.submit_label, "primary"), *ACTIONS[::3])
        messages.append(Summary(flow.spec.summary_title, rows, SUMMARY_TEXT, options))
    return messages


def test_every_builtin_flow_message_renders_within_teams_limits_and_round_trips() -> None:
    messages = _builtin_messages()
    assert len(messages) > 100
    assert any(isinstance(m, Question) and m.input == "multi_choice" for m in messages)
    for message in messages:
        check_round_trips(message)


def _report(**fields: Any) -> Report:
    at = datetime(2026, 3, 2, 19, 30, tzinfo=UTC)  # out of school hours
    defaults: dict[str, Any] = {
        "id": 42,
        "reference": "OS-2026-00042",
        "kind": "concern",
        "category": "images",
        "urgent": True,
        "allegation": True,
        "status": "submitted",
        "reporter_email": "t.brannigan@example.org",
        "channel": "teams",
        "flow_id": "concern",
        "flow_version": 1,
        "created_at": at,
        "updated_at": at,
        "submitted_at": at,
        "case_status": "open",
        "alerted_at": at,
    }
    return Report(**(defaults | fields))


async def _case_messages() -> list[Outbound]:
    """The alerts, updates and notices of bot/cases/cards.py, for cases in each state."""
    cipher = Cipher([Fernet.generate_key()])
    school = load_school_config(EXAMPLE_CONFIG)
    flows = load_flows(BUILTIN_FLOWS)
    maker = CardMaker(school=school, cipher=cipher, flows=flows)
    ict_steps = flows["filtering"].spec.shared_with("ict")
    rows = [
        {"step": step, "label": step.replace("_", " "), "answer": INJECTION} for step in ict_steps
    ]
    rows.append({"step": "what_happened", "label": "What happened", "answer": _long_answer(6000)})
    answers = cipher.encrypt_json({"answers": {}, "rows": rows}, **where(_report(), "answers_enc"))
    acknowledged_at = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    reports = [
        _report(answers_enc=answers),
        _report(answers_enc=answers, urgent=False, allegation=False, status="in_progress"),
        _report(
            answers_enc=answers,
            case_status="acknowledged",
            acknowledged_by="a.hartley@example.org",
            acknowledged_at=acknowledged_at,
        ),
        _report(answers_enc=answers, case_status="closed", closed_at=acknowledged_at),
        _report(answers_enc=None, kind="filtering", flow_id="filtering", category=None),
    ]
    messages: list[Outbound] = []
    for report in reports:
        for kind, level in (("alert", 0), ("alert", 2), ("update", 0), ("ict", 0), ("seen", 0)):
            row = Outbox(kind=kind, level=level, channel="teams", recipient_email="x@y.org")
            if kind == "seen" and report.case_status != "acknowledged":
                continue
            messages += await maker.messages_for(row, report)
        messages.append(maker.case_card(report, rows, details=True))
    return messages


async def test_every_case_card_renders_within_teams_limits_and_round_trips() -> None:
    messages = await _case_messages()
    assert sum(isinstance(m, Card) for m in messages) >= 20
    for message in messages:
        check_round_trips(message)
        if isinstance(message, Card) and len(render_turn([message])) == 1:
            assert render_card_update(message) == render_turn([message])[0]
    acknowledge = [v for m in messages for v in buttons_of(m) if v.startswith("case:ack:")]
    assert acknowledge and press({"os": 1, "v": acknowledge[0]}).value == "case:ack:42"


def _large_messages() -> list[Outbound]:
    return samples.large_messages(_long_answer)


@pytest.mark.parametrize("index", range(7))
def test_large_messages_render_within_teams_limits(index: int) -> None:
    message = _large_messages()[index]
    check_round_trips(message)
    if isinstance(message, Card):
        text = shown(render_turn([message]))
        assert all(f"{f.label}\n{f.value}" in text for f in message.fields)


def test_a_large_turn_is_spread_over_activities_within_the_limits() -> None:
    activities = check_turn(_large_messages() + _injected())
    assert len(activities) > 10
    assert any(a["summary"].endswith("(continued)") for a in activities)
