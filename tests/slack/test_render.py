"""The Slack renderer is pure, keeps within Slack's limits, and never lets user text link or ping.

The expected JSON lives in tests/slack/expected/. It was written once and reviewed by eye; a
change to what Slack is sent must update it deliberately.

The limits checked in `check_payload` are Slack's documented ones (each with its page in
bot/channels/slack/blocks.py), checked twice: by slack-sdk's models (`Block.parse(...).to_dict()`
raises SlackObjectFormationError on a violation) and explicitly, since the models leave some out
(a section field's 2,000 characters, a context element's 3,000, a checkboxes element's 10
options, every text object's minimum of 1).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.channels.slack.blocks import size, split_text
from bot.channels.slack.render import (
    CardTooLarge,
    escape_mrkdwn,
    render_blocks,
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
from tests.slack.render_checks import (
    builtin_messages,
    check_block,
    check_turn,
    large_messages,
    long_answer,
    mrkdwn_texts,
    section_texts,
    unescape,
)
from tests.support.samples import (
    ACTIONS,
    CARD,
    CHOICE_QUESTION,
    MULTI_QUESTION,
    NOTICE,
    SUMMARY,
    TEXT_QUESTION,
)

EXPECTED = Path(__file__).parent / "expected"

CASES: dict[str, Outbound] = {
    "card": CARD,
    "notice": NOTICE,
    "question_choice": CHOICE_QUESTION,
    "question_multi": MULTI_QUESTION,
    "question_text": TEXT_QUESTION,
    "summary": SUMMARY,
}

INJECTION = (
    "<!channel> <!here> <@U123> <https://evil.example|click> &amp; "
    "<#C123|general> https://evil.example/x\n>quote"
)


# --- checking a payload ------------------------------------------------------------------------


# --- the stored JSON ---------------------------------------------------------------------------


def _expected(name: str) -> Any:
    return json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_render_matches_the_stored_json(name: str) -> None:
    rendered = render_turn([CASES[name]])
    assert rendered == _expected(name)
    assert json.loads(json.dumps(rendered)) == rendered
    check_turn([CASES[name]])


def test_render_is_pure() -> None:
    first = render_turn([SUMMARY])
    first[0]["blocks"].clear()
    assert render_turn([SUMMARY]) == _expected("summary")


def test_a_card_update_is_the_card_without_unfurl_flags() -> None:
    update = render_card_update(CARD)
    assert update == {k: v for k, v in _expected("card")[0].items() if k in {"text", "blocks"}}
    acknowledged = replace(CARD, tone="info", actions=(), footer="Acknowledged by Alice Hartley")
    blocks = render_card_update(acknowledged)["blocks"]
    assert not any(block["type"] == "actions" for block in blocks)
    assert blocks[-1]["elements"][0]["text"] == "Acknowledged by Alice Hartley"
    for block in blocks:
        check_block(block)


def test_a_card_too_large_for_one_message_is_refused_for_update_not_cut() -> None:
    huge = replace(CARD, fields=tuple(CardField(f"Answer {i}", "x" * 4000) for i in range(5)))
    with pytest.raises(CardTooLarge):
        render_card_update(huge)
    payloads = check_turn([huge])
    assert len(payloads) > 1
    assert section_texts(payloads).count("x" * 4000) == 5


# --- escaping and injection --------------------------------------------------------------------


def test_escape_mrkdwn_is_slacks_rule_and_nothing_more() -> None:
    assert escape_mrkdwn("a & <b> &amp; *bold* _i_ ~s~ `c` 'q' \"d\"") == (
        "a &amp; &lt;b&gt; &amp;amp; *bold* _i_ ~s~ `c` 'q' \"d\""
    )
    assert unescape(escape_mrkdwn(INJECTION)) == INJECTION


def _injected() -> list[Outbound]:
    evil = INJECTION
    option = Option("bad", f"label {evil}"[:75])
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
        Question(step_id="m", input="multi_choice", text=evil, options=(option,)),
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


def test_user_text_cannot_mention_link_or_quote_its_way_out() -> None:
    payloads = check_turn(_injected())  # check_payload: no raw < or > in any mrkdwn text
    texts = [text for payload in payloads for text in mrkdwn_texts(payload)]
    assert all("&lt;!channel&gt;" in text for text in texts if "channel" in text)
    assert any("&amp;amp;" in text for text in texts)
    for text in texts:
        assert "&lt;@U123&gt;" in text or "U123" not in text
        assert "&lt;https://evil.example|click&gt;" in text or "|click" not in text
    shown = unescape(section_texts(payloads))
    assert "&amp; <#C123|general>" in shown  # the person's "&amp;" shows as they typed it


def test_plain_text_is_only_used_for_labels_headers_and_buttons() -> None:
    for payload in render_turn(_injected()):
        for block in payload["blocks"]:
            if block["type"] in {"section", "context"}:
                fields = block.get("fields", [])
                texts = [block.get("text"), *block.get("elements", []), *fields]
                assert all(t is None or t["type"] == "mrkdwn" for t in texts)


# --- nothing is lost ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["summary", "card", "notice", "restore"])
def test_a_12000_character_answer_arrives_whole(where: str) -> None:
    answer = long_answer(12_000)
    message: Outbound = {
        "summary": Summary("Check", (SummaryRow("what", "What happened", answer),), "Check."),
        "card": replace(CARD, fields=(CardField("What happened", answer),)),
        "notice": Notice(answer, "info"),
        "restore": Notice("Too long.", "error", restore_text=answer),
    }[where]
    payloads = check_turn([message])
    assert len(payloads) >= 2  # over the text budget of one message
    assert answer in unescape(section_texts(payloads))


def test_a_long_current_answer_is_kept_whole_in_the_context() -> None:
    answer = long_answer(10_000)
    payloads = check_turn([replace(TEXT_QUESTION, current_answer=answer)])
    contexts = [
        element["text"]
        for payload in payloads
        for block in payload["blocks"]
        if block["type"] == "context"
        for element in block["elements"]
    ]
    assert answer in unescape("".join(contexts))


def test_split_text_never_cuts_an_entity_or_an_emoji_and_loses_nothing() -> None:
    amps = escape_mrkdwn("&" * 2000)
    pieces = split_text(amps, 3000)
    assert "".join(pieces) == amps
    assert all(re.fullmatch(r"(&amp;)+", piece) and size(piece) <= 3000 for piece in pieces)
    emoji = "😀" * 2000  # 4,000 UTF-16 code units
    pieces = split_text(emoji, 3000)
    assert "".join(pieces) == emoji and all(size(piece) <= 3000 for piece in pieces)
    prose = escape_mrkdwn(long_answer(7000))
    pieces = split_text(prose, 3000)
    assert "".join(pieces) == prose
    assert all(piece.endswith(("\n", " ")) for piece in pieces[:-1])  # cut at a break


def test_long_labels_are_shortened_on_buttons_only_and_given_in_full() -> None:
    label = "A very long option label " * 5
    question = Question(
        step_id="s",
        input="choice",
        text="Which?",
        options=tuple(Option(f"o{i}", f"{label}{i}") for i in range(30)),
    )
    payloads = check_turn([question])
    buttons = [
        element
        for block in payloads[0]["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert len(buttons) == 30
    assert [b["action_id"] for b in buttons] == [f"opt:{i}" for i in range(30)]
    assert all(b["text"]["text"].endswith("…") for b in buttons)
    shown = unescape(section_texts(payloads))
    assert all(f"{i + 1}. {label}{i}" in shown for i in range(30))


# --- the shapes of each kind -------------------------------------------------------------------


def test_a_multi_choice_question_has_checkboxes_of_ten_and_one_done_button() -> None:
    options = tuple(Option(f"v{i}", f"Option {i}") for i in range(25))
    blocks = render_blocks(replace(MULTI_QUESTION, options=options))
    (checks,) = [b for b in blocks if any(e["type"] == "checkboxes" for e in b.get("elements", []))]
    elements = checks["elements"]
    assert [e["action_id"] for e in elements] == ["multi:0", "multi:1", "multi:2", "multi_done"]
    assert [len(e["options"]) for e in elements[:3]] == [10, 10, 5]
    assert [o["value"] for e in elements[:3] for o in e["options"]] == [o.value for o in options]
    assert elements[-1]["text"]["text"] == "Done"


def test_the_done_button_is_the_one_the_parser_knows() -> None:
    from bot.channels.slack.parse import MULTI_DONE

    blocks = [b for b in render_blocks(MULTI_QUESTION) if b["type"] == "actions"]
    assert MULTI_DONE in [e["action_id"] for b in blocks for e in b["elements"]]


def test_text_and_datetime_questions_ask_for_a_typed_reply_without_buttons() -> None:
    when = Question(step_id="happened_at", input="datetime", text="When did it happen?")
    for question in (TEXT_QUESTION, when):
        blocks = render_blocks(replace(question, actions=()))
        assert not any(block["type"] == "actions" for block in blocks)
        notes = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
        assert "Type your answer as a message." in notes
    datetime_notes = json.dumps(render_blocks(when))
    assert "today 10:15" in datetime_notes


def test_a_summary_row_has_a_change_button_for_its_step() -> None:
    blocks = render_blocks(SUMMARY)
    accessories = [b["accessory"] for b in blocks if "accessory" in b]
    assert [a["value"] for a in accessories] == [f"edit:{r.step_id}" for r in SUMMARY.rows]
    assert all(a["text"]["text"] == "Change" for a in accessories)


def test_a_long_title_is_shortened_in_the_header_and_given_whole() -> None:
    title = "Case " + "very " * 40 + "long"
    blocks = render_blocks(replace(CARD, title=title))
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"].endswith("…")
    assert blocks[1]["text"]["text"] == title


def test_links_to_the_bots_own_pages_are_left_out() -> None:
    # Only the web chat can open them (they need its sign-in): a path in Slack is a dead end.
    assert "/api/web/cases/42/chronology.html" not in json.dumps(render_blocks(CARD))
    assert "Printable chronology" not in json.dumps(render_blocks(CARD))


def test_a_turn_uses_as_few_messages_as_the_limits_allow() -> None:
    notices: list[Outbound] = [Notice(f"Line {i}") for i in range(120)]
    payloads = check_turn(notices)
    assert [len(p["blocks"]) for p in payloads] == [50, 50, 20]
    assert check_turn([NOTICE, CHOICE_QUESTION]) == [
        {
            **render_turn([NOTICE])[0],
            "text": render_turn([NOTICE])[0]["text"] + "\n" + CHOICE_QUESTION.text,
            "blocks": render_blocks(NOTICE) + render_blocks(CHOICE_QUESTION),
        }
    ]
    assert render_turn([]) == []


def test_render_refuses_what_it_does_not_know() -> None:
    with pytest.raises(TypeError, match="cannot render str"):
        render_turn(["hello"])  # type: ignore[list-item]


# --- every payload of a large set is valid -----------------------------------------------------


def test_every_builtin_flow_question_renders_within_slacks_limits() -> None:
    messages = builtin_messages()
    assert len(messages) > 100
    for message in messages:
        check_turn([message])
    # As large turns: each question once per turn, as the bot sends them (a person question's
    # block_id names its step, so the same question twice in one message would clash).
    long = [m for m in messages if getattr(m, "current_answer", None) == long_answer(4000)]
    check_turn([m for m in messages if m not in long])
    check_turn(long)


@pytest.mark.parametrize("index", range(7))
def test_large_messages_render_within_slacks_limits(index: int) -> None:
    message = large_messages()[index]
    payloads = check_turn([message])
    if isinstance(message, Card):
        card_fields = message.fields
        shown = unescape(section_texts(payloads))
        assert all(f"*{f.label}*\n{f.value}" in shown for f in card_fields)


def test_a_large_turn_is_spread_over_messages_within_the_limits() -> None:
    payloads = check_turn(large_messages() + _injected())
    assert len(payloads) > 5
    assert any(p["text"].endswith("(continued)") for p in payloads)
