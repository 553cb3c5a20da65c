"""The walker in the web chat: the step asked is read from the click token of the question in
the page's JSON, and answers in a wrong order stop it before one reaches a question it was not
meant for."""

from __future__ import annotations

import pytest

from tests.support.walk import WrongQuestion, cyberbullying_concern, swapped, walk
from tests.web.chat import WebTab, open_chat, serve, sign_in, step_of

pytestmark = pytest.mark.one_database  # the walker, not the storage

CONCERN = cyberbullying_concern("Name-calling in the class group chat.", "today 09:00")


async def test_answers_in_a_wrong_order_stop_the_walk_naming_both_steps(make_bot):
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (chat, _hello, _menu):
            tab = WebTab(chat, await chat.action("start:concern"))
            with pytest.raises(WrongQuestion) as caught:
                await walk(tab, swapped(CONCERN, "pupils", "what_happened"))
            assert (caught.value.expected, caught.value.asked) == ("what_happened", "pupils")
            assert "expected the question 'what_happened', but the channel asked 'pupils'" in str(
                caught.value
            )
            assert step_of(tab.frame) == "pupils"  # nothing was given to it
