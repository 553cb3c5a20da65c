"""What `help` says depends on who asks, checked on the server: the safeguarding team is told
its own commands (on call, closure, stats, the governors' summary), a governor the summary,
and staff none of them."""

from __future__ import annotations

import pytest

from tests.support.alerts import CHAIR, DEPUTIES, DSL, HEAD
from tests.support.harness import Chat
from tests.support.walk import STAFF

TEAM_WORDS = ('"on call"', '"closure today', '"closure list"', '"stats"', '"governors summary"')


def _help(chat: Chat) -> str:
    (notice,) = chat.notices("guidance")
    return notice.text


@pytest.mark.parametrize("who", [DSL, sorted(DEPUTIES)[0], HEAD])
async def test_the_team_is_told_its_commands(make_bot, who):
    bot = await make_bot()
    chat = Chat(bot, who)
    await chat.send("help")
    said = _help(chat)
    assert "I help staff" in said  # the help everyone gets comes first
    for words in TEAM_WORDS:
        assert words in said


async def test_staff_are_told_none_of_the_teams_commands(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await chat.send("?")
    said = _help(chat)
    assert "I help staff" in said
    for words in (*TEAM_WORDS, "closure", "governors", "on call"):
        assert words not in said


async def test_a_governor_is_told_the_summary_only(make_bot):
    bot = await make_bot()
    chat = Chat(bot, CHAIR)
    await chat.send("help")
    said = _help(chat)
    assert '"governors summary"' in said
    for words in ('"on call"', '"closure', '"stats"'):
        assert words not in said
