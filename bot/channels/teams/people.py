"""The person picker in Teams: an Input.ChoiceSet with dynamic type-ahead, and its search.

Teams documents the pair in "Typeahead search in Adaptive Cards"
(learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/dynamic-search):
an Input.ChoiceSet whose `choices.data` is `{"type": "Data.Query", "dataset": ...}` makes Teams
send, as the person types, an invoke named "application/search" with `value` {queryText,
queryOptions: {skip, top}, dataset}; the bot answers with the invoke response {status: 200,
body: {type: "application/vnd.microsoft.search.searchResponse", value: {results: [{title,
value}]}}}. The dataset is "people:<step id>", so a search for an old question gets nothing.

Data.Query is Adaptive Cards 1.6; the card still declares 1.5, as every card of this bot does:
Teams reads `choices.data` whatever the version the card declares (its own example declares
1.2), and a client that does not know it shows the static choices, which are the free-text
path: "Someone not on this list", then typing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.channels.teams.cards import Json, action_sets, nonblank, submit
from bot.delivery.messages import Option, Question
from bot.words import strings

SEARCH_INVOKE = "application/search"
SEARCH_RESPONSE = "application/vnd.microsoft.search.searchResponse"
DATASET = "people"
PERSON_KEY = "person"  # in the Choose button's data: the step id it answers
PERSON_INPUT = "os_person"  # the ChoiceSet's id: Teams sends the chosen value under it
MAX_QUERY_CHARS = 100


@dataclass(frozen=True)
class PeopleSearch:
    """An application/search invoke from our picker: the step it is for, and the words typed."""

    step_id: str | None
    query: str


def picker_elements(question: Question, data: Json) -> list[Json]:
    """The ChoiceSet and its Choose button, which sends `data` and the chosen value."""
    dataset = f"{DATASET}:{question.step_id}" if question.step_id else DATASET
    choices = [{"title": nonblank(o.label), "value": o.value} for o in question.options]
    picker = {
        "type": "Input.ChoiceSet",
        "id": PERSON_INPUT,
        "style": "filtered",
        "placeholder": strings.PERSON_PICK_PLACEHOLDER,
        "choices": choices,
        "choices.data": {"type": "Data.Query", "dataset": dataset},
    }
    choose = submit(Option(strings.PERSON_CHOOSE, strings.PERSON_CHOOSE, "primary"), data)
    return [picker, *action_sets([choose])]


def parse_search(value: Mapping[str, Any]) -> PeopleSearch | None:
    """The invoke's value -> our search, or None if it is not for our people dataset."""
    dataset, query = value.get("dataset"), value.get("queryText")
    if not isinstance(dataset, str) or not isinstance(query, str):
        return None
    name, _, step_id = dataset.partition(":")
    if name != DATASET or len(query) > MAX_QUERY_CHARS:
        return None
    return PeopleSearch(step_id or None, query)


def search_response(options: Sequence[Option]) -> Json:
    """The invoke response's body: the matches as {title, value}."""
    results = [{"title": o.label, "value": o.value} for o in options]
    return {"type": SEARCH_RESPONSE, "value": {"results": results}}
