"""The walker (tests/support/walk.py) on the test channel: answers in a wrong order stop it
before one is given to a question it was not meant for, naming the expected and the asked step."""

from __future__ import annotations

import pytest

from tests.support.harness import Chat
from tests.support.reports import all_reports
from tests.support.walk import (
    STAFF,
    ChatAsking,
    WrongQuestion,
    cyberbullying_concern,
    start,
    swapped,
    walk,
)

pytestmark = pytest.mark.one_database  # the walker, not the storage

CONCERN = cyberbullying_concern("Name-calling in the class group chat.", "yesterday 15:00")


async def test_the_answers_in_their_order_reach_the_summary(make_bot):
    chat = Chat(await make_bot(), STAFF)
    await start(chat, "concern")
    assert await walk(ChatAsking(chat), CONCERN) == list(CONCERN)
    chat.assert_asked("summary")


async def test_answers_in_a_wrong_order_stop_before_the_first_wrong_answer(make_bot):
    chat = Chat(await make_bot(), STAFF)
    await start(chat, "concern")
    wrong = swapped(CONCERN, "pupils", "what_happened")
    with pytest.raises(WrongQuestion) as caught:
        await walk(ChatAsking(chat), wrong)
    assert (caught.value.expected, caught.value.asked) == ("what_happened", "pupils")
    assert caught.value.answered == list(CONCERN)[: list(CONCERN).index("pupils")]
    assert "expected the question 'what_happened', but the channel asked 'pupils'" in str(
        caught.value
    )
    chat.assert_asked("pupils")  # the pupils' names were not typed as what happened


async def test_an_answer_the_flow_never_asks_is_named(make_bot):
    chat = Chat(await make_bot(), STAFF)
    await start(chat, "concern")
    answers = {**CONCERN, "adult_who": "Mr Example"}  # asked only about an adult
    with pytest.raises(WrongQuestion, match="expected the question 'adult_who', but the chan"):
        await walk(ChatAsking(chat), answers)
    chat.assert_asked("summary")
    assert await all_reports(chat.bot) == []  # nothing was sent


async def test_out_of_order_a_step_with_no_answer_is_named(make_bot):
    chat = Chat(await make_bot(), STAFF)
    await start(chat, "concern")
    answers = {step: value for step, value in CONCERN.items() if step != "where"}
    with pytest.raises(WrongQuestion, match="but the channel asked 'where'"):
        await walk(ChatAsking(chat), answers, in_order=False)
    chat.assert_asked("where")
