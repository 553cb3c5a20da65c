"""The walker in the Slack DM: the step asked is read from the question's block_id, and
answers in a wrong order stop it before one reaches a question it was not meant for."""

from __future__ import annotations

import pytest

from tests.slack.conftest import STAFF
from tests.slack.filing import current_step, say, walk_dm
from tests.support.walk import WrongQuestion, cyberbullying_concern, swapped

pytestmark = pytest.mark.one_database  # the walker, not the storage

CONCERN = cyberbullying_concern("Name-calling in the class group chat.", "today 09:00")


async def test_answers_in_a_wrong_order_stop_the_walk_naming_both_steps(world):
    await say(world, STAFF, "report")
    with pytest.raises(
        WrongQuestion, match="expected the question 'what_happened', but the channel asked 'pupils'"
    ):
        await walk_dm(world, STAFF, swapped(CONCERN, "pupils", "what_happened"))
    assert await current_step(world, STAFF) == "pupils"  # nothing was given to it


async def test_the_first_question_out_of_order_is_caught_too(world):
    await say(world, STAFF, "report")
    with pytest.raises(WrongQuestion) as caught:
        await walk_dm(world, STAFF, swapped(CONCERN, "immediate_danger", "category"))
    assert (caught.value.expected, caught.value.asked, caught.value.answered) == (
        "category",
        "immediate_danger",
        [],
    )
