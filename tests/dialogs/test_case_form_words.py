"""A flow's own words for stopping it, and a case flow's for once it is recorded: the engine
uses them instead of a report's, and the loader refuses a `done` the bot could not fill in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dialogs import strings
from dialogs.engine import Dialog
from dialogs.loader import load_flow
from dialogs.prompts import Notice
from tests.dialogs.flow_files import assert_refused, flow, step, write
from tests.support.dialog_chat import LONDON, NOW, Chat


def case_note(**fields: Any) -> dict[str, Any]:
    data = flow(step("note"), id="my_note", purpose="case", action="note", **fields)
    del data["report_kind"]
    return data


def test_a_flow_with_its_own_words_for_stopping_says_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        case_note(
            cancel_question="Stop writing this note?",
            cancelled="Stopped. The note was not saved.",
            done="Note saved to case {reference}.",
        ),
    )
    chat = Chat(Dialog(load_flow(path), tz=LONDON, clock=lambda: NOW))
    chat.send("cancel")
    assert chat.question.text == "Stop writing this note?"
    chat.send("yes")
    assert chat.turn.outcome == "cancelled"
    assert [p.text for p in chat.turn.prompts if isinstance(p, Notice)] == [
        "Stopped. The note was not saved."
    ]


def test_a_flow_without_them_keeps_the_engines_words(tmp_path: Path) -> None:
    chat = Chat(Dialog(load_flow(write(tmp_path, flow())), tz=LONDON, clock=lambda: NOW))
    chat.send("cancel")
    assert chat.question.text == strings.CANCEL_QUESTION
    chat.send("yes")
    assert strings.CANCELLED in [p.text for p in chat.turn.prompts if isinstance(p, Notice)]


def test_done_may_name_only_the_reference(tmp_path: Path) -> None:
    assert_refused(
        tmp_path,
        case_note(done="Done: {what} for {reference}."),
        "done: it may name only {reference}",
        "not {what}",
    )


def test_a_lone_brace_in_done_is_refused_at_load(tmp_path: Path) -> None:
    assert_refused(tmp_path, case_note(done="Saved {reference"), "done:", "for a brace")


def test_done_is_only_for_case_flows(tmp_path: Path) -> None:
    assert_refused(tmp_path, flow(done="Sent."), "done is only for case flows")
