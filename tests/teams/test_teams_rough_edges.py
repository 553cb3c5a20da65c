"""Rough edges of the Teams chat (issue 16, point 5), through the real Teams adapter over
loopback: a too-long answer, a typed word that is no command, installing the app again the same
day, the summary card's one "Change an answer" list, the Cancel buttons' colour, and "just now"
in the open cases list."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.channels.teams.parse import CHANGE_INPUT, CHANGE_KEY
from bot.channels.teams.render import card_values
from bot.words import strings
from tests.support.walk import cyberbullying_concern
from tests.teams.concerns import install_for_handlers
from tests.teams.connector import Sent
from tests.teams.filing import current_step, walk_chat
from tests.teams.render_checks import runs
from tests.teams.world import DSL, STAFF, TeamsWorld, settle

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

CONCERN = cyberbullying_concern("Names called in the class group chat.", "today 09:00")


def since(world: TeamsWorld, user: str, before: int) -> list[Sent]:
    return world.sent_to(user)[before:]


def said(sent: list[Sent]) -> str:
    """What a person reads in these activities: their cards' TextRuns, and titles of lists."""
    return " ".join(runs([s.body for s in sent]))


def walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(found for child in node.values() for found in walk(child))]
    if isinstance(node, list):
        return [found for child in node for found in walk(child)]
    return []


def submits(sent: Sent) -> list[dict[str, Any]]:
    return [n for n in walk(sent.body) if n.get("type") == "Action.Submit"]


async def ok(response: Any) -> None:
    assert response.status in (200, 201, 202), await response.text()


# --- A too-long answer


async def test_a_too_long_answer_is_echoed_only_as_its_first_200_characters(world: TeamsWorld):
    await ok(await world.say(STAFF, "report"))
    await walk_chat(world, STAFF, CONCERN, until="pupils")
    before = len(world.sent_to(STAFF))
    typed = "B" * 200 + "Z" * 99_800  # 100,000 characters; the pupils step takes 500
    await ok(await world.say(STAFF, typed))
    replies = since(world, STAFF, before)
    text = said(replies)
    assert "That is 100,000 characters; the limit here is 500." in text
    assert "Your answer was 100,000 characters" in text
    assert "“" + "B" * 200 + "…”" in text
    assert "Z" not in text  # nothing past the first 200 characters comes back
    assert sum(len(json.dumps(s.body)) for s in replies) < 20_000  # not 17 messages, 218 KB
    assert await current_step(world, STAFF) == "pupils"  # still asked, nothing saved


async def test_the_too_long_message_says_what_teams_did_not_put_back_in_the_box(
    world: TeamsWorld,
):
    await ok(await world.say(STAFF, "report"))
    await walk_chat(world, STAFF, CONCERN, until="pupils")
    before = len(world.sent_to(STAFF))
    await ok(await world.say(STAFF, "x" * 501))
    text = said(since(world, STAFF, before))
    assert "box" not in text  # Teams cannot put text back in the box it was typed in
    assert "still in the chat above" in text


async def test_a_short_refused_answer_is_still_shown_in_full_to_copy(world: TeamsWorld):
    await ok(await world.say(STAFF, "report"))
    await walk_chat(world, STAFF, CONCERN, until="happened_at")
    before = len(world.sent_to(STAFF))
    await ok(await world.say(STAFF, "the tuesday before half term"))
    text = said(since(world, STAFF, before))
    assert f"{strings.TEAMS_RESTORED} the tuesday before half term" in text
    assert "Nothing was saved" not in text


# --- A typed word that is no command


async def test_an_unknown_command_says_sorry_before_the_menu(world: TeamsWorld):
    await ok(await world.install(STAFF))
    before = len(world.sent_to(STAFF))
    await ok(await world.say(STAFF, "flibbertigibbet"))
    text = said(since(world, STAFF, before))
    assert text.index(strings.NOT_UNDERSTOOD) < text.index("What would you like to do?")


async def test_a_known_command_gets_no_sorry(world: TeamsWorld):
    await ok(await world.install(STAFF))
    before = len(world.sent_to(STAFF))
    await ok(await world.say(STAFF, "help"))
    assert strings.NOT_UNDERSTOOD not in said(since(world, STAFF, before))


# --- Installing again the same day
# Teams documents both activities for an install in personal scope: a conversationUpdate whose
# membersAdded holds the bot, and an installationUpdate whose action is "add" ("remove" when
# removed): learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/
# subscribe-to-conversation-events (Install update event, Members added).


async def install_both_ways(world: TeamsWorld, user: str) -> None:
    await ok(await world.install(user))  # conversationUpdate, membersAdded: [the bot]
    await ok(await world.post(world.activity(user, type="installationUpdate", action="add")))


async def test_installing_again_the_same_day_greets_again(world: TeamsWorld):
    await install_both_ways(world, STAFF)
    first = said(world.sent_to(STAFF))
    assert first.count("Hello Tom") == 1  # one greeting for the two activities of one install
    await ok(await world.uninstall(STAFF))
    before = len(world.sent_to(STAFF))
    await install_both_ways(world, STAFF)
    again = said(since(world, STAFF, before))
    assert again.count("Hello Tom") == 1


async def test_installing_again_the_same_day_mentions_the_unfinished_report(world: TeamsWorld):
    await ok(await world.install(STAFF))
    await ok(await world.say(STAFF, "report"))
    await walk_chat(world, STAFF, CONCERN, until="pupils")
    await ok(await world.uninstall(STAFF))
    before = len(world.sent_to(STAFF))
    await install_both_ways(world, STAFF)
    again = said(since(world, STAFF, before))
    assert again.count("You have an unfinished report") == 1
    assert await current_step(world, STAFF) == "pupils"  # and it is asked again, kept


# --- The summary card


async def at_summary(world: TeamsWorld) -> Sent:
    await ok(await world.say(STAFF, "report"))
    await walk_chat(world, STAFF, CONCERN)
    return world.posted_to(STAFF)[-1]


async def test_the_summary_card_has_one_change_list_and_no_button_under_each_answer(
    world: TeamsWorld,
):
    summary = await at_summary(world)
    lists = [n for n in walk(summary.body) if n.get("type") == "Input.ChoiceSet"]
    assert len(lists) == 1
    (changes,) = lists
    assert (changes["id"], changes["style"]) == (CHANGE_INPUT, "compact")
    assert changes["label"] == "Change an answer"
    assert len(changes["choices"]) >= 14  # every answer, in one list
    buttons = submits(summary)
    assert [b["title"] for b in buttons].count(strings.TEAMS_CHANGE) == 1
    assert not any(str(d.get("v", "")).startswith("edit:") for d in card_values(summary.body))


async def test_change_on_the_summary_asks_the_chosen_question_again(world: TeamsWorld):
    await at_summary(world)
    await ok(await world.click(STAFF, "edit:others_told"))
    assert await current_step(world, STAFF) == "others_told"


async def test_a_stale_summary_cards_change_does_not_change_the_current_question(
    world: TeamsWorld,
):
    old = await at_summary(world)
    await ok(await world.click(STAFF, "edit:others_told"))  # now at others_told
    await ok(await world.say(STAFF, "The head of year."))  # back at the summary, a new card
    await ok(await world.click(STAFF, "edit:pupils"))  # now at pupils
    before = len(world.sent_to(STAFF))
    change = next(d for d in card_values(old.body) if CHANGE_KEY in d)
    activity = world.activity(
        STAFF,
        type="message",
        value={**change, CHANGE_INPUT: "edit:what_happened"},
        replyToId=old.activity_id,
    )
    await ok(await world.post(activity))
    assert await current_step(world, STAFF) == "pupils"  # the old card changed nothing
    assert strings.STALE_CLICK in said(since(world, STAFF, before))


async def test_cancel_is_red_only_on_the_cancel_confirmation(world: TeamsWorld):
    summary = await at_summary(world)
    assert all(b.get("style") != "destructive" for b in submits(summary))
    await ok(await world.click(STAFF, "edit:pupils"))
    question = world.posted_to(STAFF)[-1]
    cancels = [b for b in submits(question) if b["data"].get("v") == "__cancel"]
    assert cancels and all(b.get("style") != "destructive" for b in cancels)
    await ok(await world.click(STAFF, "__cancel"))
    confirmation = world.posted_to(STAFF)[-1]
    styles = {b["data"].get("v"): b.get("style") for b in submits(confirmation)}
    assert styles["__cancel_yes"] == "destructive"  # the one that discards the answers
    assert styles["__cancel_no"] != "destructive"


# --- The open cases list


async def test_a_case_opened_under_a_minute_ago_is_open_just_now(world: TeamsWorld):
    await install_for_handlers(world)
    await ok(await world.say(STAFF, "report"))
    await walk_chat(world, STAFF, CONCERN)
    await ok(await world.click(STAFF, "__submit"))
    await settle(world)
    before = len(world.sent_to(DSL))
    await ok(await world.say(DSL, "cases"))
    text = said(since(world, DSL, before))
    assert "Opened just now." in text
    assert "0 min" not in text
