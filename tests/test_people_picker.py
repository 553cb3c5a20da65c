"""The type-ahead's matching: a prefix of any word of the name, any case, at most ten, by name."""

from __future__ import annotations

import pytest

from bot.chat.people_picker import MAX_QUERY_CHARS, MAX_RESULTS, match_people, person_option
from bot.school.config import Person, Role

STAFF = tuple(
    Person(email=f"{name.split()[-1].lower()}@school.example", name=name, roles=(Role.STAFF,))
    for name in (
        "Joanna Whitcombe",
        "Jo-Anne O'Brien",
        "Mary-Jo Smith",
        "Martin Fenwick",
        "Zoë Ångström",
    )
)


def names(query: str) -> list[str]:
    return [p.name for p in match_people(STAFF, query)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jo", ["Jo-Anne O'Brien", "Joanna Whitcombe", "Mary-Jo Smith"]),
        ("WHIT", ["Joanna Whitcombe"]),
        ("jo whit", ["Joanna Whitcombe"]),
        ("o'b", ["Jo-Anne O'Brien"]),
        ("brien", ["Jo-Anne O'Brien"]),
        ("ång", ["Zoë Ångström"]),
        ("fenwick martin", ["Martin Fenwick"]),
        ("tin", []),  # inside a word, not at its start
        ("", []),
        ("   ", []),
        ("?!", []),
    ],
)
def test_matching(query: str, expected: list[str]) -> None:
    assert names(query) == expected


def test_at_most_ten_and_nothing_for_a_long_query() -> None:
    many = tuple(
        Person(email=f"p{i}@school.example", name=f"Sam Person{i:02d}", roles=(Role.STAFF,))
        for i in range(25)
    )
    found = match_people(many, "sam")
    assert len(found) == MAX_RESULTS
    assert [p.name for p in found] == [f"Sam Person{i:02d}" for i in range(10)]
    assert match_people(many, "s" * (MAX_QUERY_CHARS + 1)) == []


def test_an_option_carries_the_email_and_shows_the_name() -> None:
    option = person_option(STAFF[0])
    assert (option.value, option.label) == ("person:whitcombe@school.example", "Joanna Whitcombe")
