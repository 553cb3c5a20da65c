"""The web chat's person picker over the real websocket: type-ahead, pick, free text, refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.app import Bot
from tests.support.reports import answers_of, only_report
from tests.web.chat import (
    Socket,
    asked,
    notices,
    open_chat,
    serve,
    sign_in,
    step_of,
)

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

UP_TO_ADULT_WHO = {
    "immediate_danger": ("action", "no"),
    "category": ("action", "other"),
    "other_kind": ("text", "A worry about an adult"),
    "about_adult": ("action", "yes"),
    "adult_concern_kind": ("action", "harm"),
    "adult_is_head": ("action", "no"),
}
TAIL = {
    "pupils": ("text", "AB (Year 5)"),
    "what_happened": ("text", "Messages to a pupil on a personal account."),
    "your_concerns": ("text", "skip"),
    "disclosure": ("action", "no"),
    "safe_home": ("action", "yes"),
    "others_at_risk": ("action", "no"),
    "others_told": ("text", "No one yet."),
    "happened_at": ("text", "yesterday 15:00"),
    "found_out_at": ("text", "yesterday 15:30"),
    "where": ("text", "Instagram"),
    "actions_taken": ("text", "None yet"),
    "dsl_told_in_person": ("action", "no"),
    "reporter_role": ("text", "Teaching assistant"),
}


async def search(chat: Socket, step: str, query: str) -> dict[str, Any]:
    frame = await chat.raw(json.dumps({"type": "search", "step": step, "query": query}))
    assert frame["type"] in {"search_results", "error"}, frame
    return frame


def labels(frame: dict[str, Any]) -> list[str]:
    assert frame["type"] == "search_results", frame
    assert frame["query"] is not None
    return [item["label"] for item in frame["items"]]


async def walk(chat: Socket, frame: dict[str, Any], answers: dict[str, tuple[str, str]]) -> Any:
    """Answer by step id until a step not in `answers`; return the last frame."""
    while (step := step_of(frame)) in answers:
        kind, value = answers[step]
        frame = await (chat.action(value) if kind == "action" else chat.text(value))
        assert not notices(frame, "error"), (step, frame)
    return frame


async def test_type_ahead_pick_and_the_summary_shows_the_name(make_bot: Any) -> None:
    bot: Bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (chat, _hello, _first):
            frame = await chat.action("start:concern")
            # Not at a person step: the search names nobody.
            assert labels(await search(chat, "adult_who", "a")) == []
            frame = await walk(chat, frame, UP_TO_ADULT_WHO)
            assert step_of(frame) == "adult_who"
            question = asked(frame)
            assert question["input"] == "person"
            assert [o["label"] for o in question["options"]] == ["Someone not on this list"]

            # A prefix of any word of the name, any case; only those who match.
            assert labels(await search(chat, "adult_who", "ose")) == ["Daniel Osei"]
            assert labels(await search(chat, "adult_who", "PET")) == [
                "Leo Petrakis",
                "Petra Lindqvist",
            ]
            found = await search(chat, "adult_who", "jo whit")
            assert found["items"] == [
                {"value": "person:j.whitcombe@example.org", "label": "Joanna Whitcombe"}
            ]
            assert labels(await search(chat, "adult_who", "zz")) == []
            assert labels(await search(chat, "adult_who", "  ")) == []
            # Another step than the current one gets nothing.
            assert labels(await search(chat, "pupils", "ose")) == []
            too_long = await search(chat, "adult_who", "a" * 101)
            assert too_long["type"] == "error"

            # A forged pick is refused, nothing stored, and the question comes again.
            frame = await chat.action("person:stranger@elsewhere.example")
            assert "not on the school's list" in notices(frame, "error")[0]["text"]
            assert step_of(frame) == "adult_who"

            frame = await chat.action("person:d.osei@example.org")
            assert step_of(frame) == "pupils"
            # The question has moved on: the search names nobody any more, and a late pick
            # from the old list answers nothing.
            assert labels(await search(chat, "adult_who", "ose")) == []
            frame = await chat.action("person:p.lindqvist@example.org")
            assert notices(frame, "error") and step_of(frame) == "pupils"
            frame = await walk(chat, frame, TAIL)
            summary = asked(frame)
            assert summary["kind"] == "summary"
            rows = {r["step_id"]: r["value"] for r in summary["rows"]}
            assert rows["adult_who"] == "Daniel Osei"
            await chat.action("__submit")
            frame = await chat.push()  # the confirmation comes through the outbox
            assert notices(frame, "success"), frame

        report = await only_report(bot)
        answers = await answers_of(bot, report)
        assert answers["adult_who"] == {"email": "d.osei@example.org", "name": "Daniel Osei"}


async def test_someone_not_on_the_list_keeps_the_typed_words(make_bot: Any) -> None:
    bot: Bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (chat, _hello, _first):
            frame = await walk(chat, await chat.action("start:concern"), UP_TO_ADULT_WHO)
            frame = await chat.action("__someone_else")
            assert "type their name and role" in notices(frame, "info")[0]["text"]
            frame = await chat.text("Mr Grey, the visiting football coach")
            assert step_of(frame) == "pupils"
            frame = await walk(chat, frame, TAIL)
            rows = {r["step_id"]: r["value"] for r in asked(frame)["rows"]}
            assert rows["adult_who"] == "Mr Grey, the visiting football coach"
