"""The matching on its own: what names a person, and what is only an ordinary word."""

from __future__ import annotations

import pytest

from bot.reports.subjects import Subjects, find_subjects
from bot.school.config import load_school_config
from tests.conftest import EXAMPLE_CONFIG

SCHOOL = load_school_config(EXAMPLE_CONFIG)
DSL, HEAD, CHAIR = "a.hartley@example.org", "m.fenwick@example.org", "j.whitcombe@example.org"
DEPUTIES = {"d.osei@example.org", "p.lindqvist@example.org"}


def left_out(who: object, about_head: bool = False, **other: str) -> Subjects:
    return find_subjects(SCHOOL, {"adult_who": who, **other}, about_head=about_head)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("Mr Osei, deputy head", DEPUTIES),  # "deputy head" is not the head
        ("supply teacher, Mr X", set()),
        ("Hartley's husband", {DSL}),
        ("WHITCOMBE", {CHAIR}),
        ("<!subteam^S1|@dsl>", {DSL}),
        ("the head of year 6", set()),
        ("a governor", {CHAIR}),
    ],
)
def test_who_is_named(who: str, expected: set[str]) -> None:
    assert left_out(who).emails == expected


def test_a_picked_person_is_left_out_and_resolved() -> None:
    found = left_out({"email": "T.Brannigan@example.org", "name": "Tom Brannigan"})
    assert found.emails == {"t.brannigan@example.org"} and found.resolved


def test_nobody_known_is_unresolved() -> None:
    assert not left_out("the new lunchtime supervisor").resolved


def test_the_other_answers_name_people_only_plainly() -> None:
    """A story's ordinary words ("hit his head", "the deputy head's office") stay words; a
    name or a plain role does not."""
    found = left_out(
        "someone on supply",
        what_happened="A pupil hit his head. I told Mr Fenwick and the chair straight away.",
        where="in the hall",
    )
    assert found.emails == {HEAD, CHAIR}
    assert "What happened" in found.left_out[HEAD]
    assert not found.resolved  # the person it is about is still not known
    assert found.about_head  # the head may be concerned: the chair takes it


def test_about_the_head_leaves_the_head_out() -> None:
    found = left_out("not sure", about_head=True)
    assert found.emails == {HEAD} and found.about_head


def test_an_unknown_slack_mention_is_said() -> None:
    found = find_subjects(SCHOOL, {"adult_who": "<@U999>"}, about_head=False, slack={})
    assert found.emails == frozenset() and found.notes


def test_stored_and_read_back_unchanged() -> None:
    found = left_out("the DSL")
    assert Subjects.from_json(found.to_json()) == found
