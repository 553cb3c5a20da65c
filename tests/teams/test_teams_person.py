"""The person picker in Teams: the ChoiceSet's dynamic type-ahead (the application/search invoke,
answered in the invoke response) and its Choose button, through /api/messages.

Shapes from Teams' "Typeahead search in Adaptive Cards" (learn.microsoft.com/microsoftteams/
platform/task-modules-and-cards/cards/dynamic-search): the invoke is `{"name":
"application/search", "type": "invoke", "value": {"queryText", "queryOptions": {"skip", "top"},
"dataset"}}`; the answer is `{"status": 200, "body": {"type":
"application/vnd.microsoft.search.searchResponse", "value": {"results": [{"title", "value"}]}}}`.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientResponse
from sqlalchemy import select

from bot.channels.teams.people import PERSON_INPUT, SEARCH_RESPONSE
from storage.models import Conversation
from tests.support.reports import answers_of, only_report
from tests.teams.connector import Sent, text_of
from tests.teams.world import PEOPLE, STAFF, TeamsWorld

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

ANSWERS: dict[str, str] = {
    "immediate_danger": "no",
    "category": "other",
    "other_kind": "A worry about an adult",
    "about_adult": "yes",
    "adult_concern_kind": "harm",
    "adult_is_head": "no",
    "pupils": "AB (Year 5)",
    "what_happened": "Messages to a pupil on a personal account.",
    "your_concerns": "skip",
    "disclosure": "no",
    "safe_home": "yes",
    "others_at_risk": "no",
    "others_told": "No one yet.",
    "happened_at": "yesterday 15:00",
    "found_out_at": "yesterday 15:30",
    "where": "Instagram",
    "actions_taken": "None yet",
    "dsl_told_in_person": "no",
    "reporter_role": "Teaching assistant",
}


async def step_now(world: TeamsWorld, user: str) -> str | None:
    """The step this person's Teams conversation is at ("summary" at the summary)."""
    async with world.bot.router.sessions() as session:
        row = await session.scalar(
            select(Conversation).where(
                Conversation.channel == "teams", Conversation.conversation_key == PEOPLE[user][0]
            )
        )
    assert row is not None and row.state_enc is not None
    dialog = world.bot.cipher.open(row, "state_enc")["dialog"]
    return None if dialog is None else (dialog["step"] or "summary")


async def walk_until(world: TeamsWorld, user: str, stop: str) -> None:
    """Answer by step id (buttons for choices, messages for text) until `stop` is asked."""
    for _ in range(30):
        step = await step_now(world, user)
        if step == stop:
            return
        assert step in ANSWERS, step
        kind = world.bot.router.dialogs["concern"].spec.step(step).kind
        value = ANSWERS[step]
        response = await (
            world.click(user, value) if kind not in {"text", "datetime"} else world.say(user, value)
        )
        assert response.status in (200, 201, 202), await response.text()
    raise AssertionError(f"{stop} never asked")


def recent(world: TeamsWorld, user: str, n: int = 3) -> str:
    """The last few messages in `user`'s chat as they read now: a turn's notices and its
    question are activities of their own, and an answered card is updated in place."""
    return "\n".join(world.reads(user)[-n:])


def picker_of(sent: Sent) -> dict[str, Any] | None:
    def walk(node: Any) -> dict[str, Any] | None:
        if isinstance(node, dict):
            if node.get("type") == "Input.ChoiceSet" and node.get("id") == PERSON_INPUT:
                return node
            node = list(node.values())
        if isinstance(node, list):
            for child in node:
                if (found := walk(child)) is not None:
                    return found
        return None

    return walk(sent.body.get("attachments") or [])


def newest_picker(world: TeamsWorld, user: str) -> tuple[Sent, dict[str, Any]]:
    for sent in reversed(world.sent_to(user)):
        if (picker := picker_of(sent)) is not None:
            return sent, picker
    raise AssertionError("no person picker sent")


async def search(world: TeamsWorld, user: str, dataset: str, text: str) -> ClientResponse:
    value = {"queryText": text, "queryOptions": {"skip": 0, "top": 15}, "dataset": dataset}
    activity = world.activity(user, type="invoke", name="application/search", value=value)
    return await world.post(activity)


async def results(response: ClientResponse) -> list[dict[str, str]]:
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["type"] == SEARCH_RESPONSE
    found: list[dict[str, str]] = body["value"]["results"]
    return found


async def choose(world: TeamsWorld, user: str, picked: str) -> ClientResponse:
    """Press Choose on the newest picker with `picked` chosen, as Teams sends it: the button's
    data with the ChoiceSet's value under its id."""
    sent, _picker = newest_picker(world, user)
    from bot.channels.teams.render import card_values

    (data,) = [d for d in card_values(sent.body) if "person" in d]
    activity = world.activity(
        user, type="message", value={**data, PERSON_INPUT: picked}, replyToId=sent.activity_id
    )
    return await world.post(activity)


async def test_type_ahead_and_choose_in_teams(world: TeamsWorld) -> None:
    await world.say(STAFF, "report")
    # Not at a person step yet: the search names nobody (and still answers 200).
    assert await results(await search(world, STAFF, "people:adult_who", "ose")) == []
    await walk_until(world, STAFF, "adult_who")

    sent, picker = newest_picker(world, STAFF)
    assert picker["choices.data"] == {"type": "Data.Query", "dataset": "people:adult_who"}
    assert picker["style"] == "filtered"
    # The static choice, where a client has no dynamic search: the free-text path.
    assert picker["choices"] == [{"title": "Someone not on this list", "value": "__someone_else"}]
    assert "Start typing their name" in text_of(sent.body)

    found = await results(await search(world, STAFF, "people:adult_who", "ose"))
    assert found == [{"title": "Daniel Osei", "value": "person:d.osei@example.org"}]
    found = await results(await search(world, STAFF, "people:adult_who", "HAR"))
    assert [r["title"] for r in found] == ["Alice Hartley"]
    # Another question's dataset, or another app's, gets nothing.
    assert await results(await search(world, STAFF, "people:pupils", "ose")) == []
    assert await results(await search(world, STAFF, "games", "ose")) == []

    # A forged value is refused and the question asked again; nothing is stored.
    await choose(world, STAFF, "person:stranger@elsewhere.example")
    assert "not on the school's list" in recent(world, STAFF)
    assert await step_now(world, STAFF) == "adult_who"

    assert (await choose(world, STAFF, "person:d.osei@example.org")).status in (200, 201, 202)
    assert await step_now(world, STAFF) == "pupils"
    # Choose again on the old card, someone else: the question has moved on, nothing changes.
    await choose(world, STAFF, "person:p.lindqvist@example.org")
    assert await step_now(world, STAFF) == "pupils"
    await walk_until(world, STAFF, "summary")
    assert "Daniel Osei" in recent(world, STAFF)
    await world.click(STAFF, "__submit")

    answers = await answers_of(world.bot, await only_report(world.bot))
    assert answers["adult_who"] == {"email": "d.osei@example.org", "name": "Daniel Osei"}


async def test_someone_not_on_the_list_in_teams(world: TeamsWorld) -> None:
    await world.say(STAFF, "report")
    await walk_until(world, STAFF, "adult_who")
    await choose(world, STAFF, "__someone_else")
    assert "type their name and role" in recent(world, STAFF)
    await world.say(STAFF, "Mr Grey, visiting coach")
    assert await step_now(world, STAFF) == "pupils"
    await walk_until(world, STAFF, "summary")
    assert "Mr Grey, visiting coach" in recent(world, STAFF)


async def test_choose_with_nothing_chosen_asks_again(world: TeamsWorld) -> None:
    await world.say(STAFF, "report")
    await walk_until(world, STAFF, "adult_who")
    await choose(world, STAFF, "")
    assert "needs an answer" in recent(world, STAFF)
    assert await step_now(world, STAFF) == "adult_who"
