"""Click tokens in Teams cards: in the `data` of each of a question's Action.Submit buttons
("t"), read back by the parser, valid in the cards' schema; a question with buttons is an
activity of its own; and the card that replaces it once it is answered."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.channels.teams.render import card_values, render_answered, render_turn
from bot.delivery.messages import Answered, Notice, Outbound, Question, Summary
from bot.words import strings
from tests.support.samples import CHOICE_QUESTION, MULTI_QUESTION, SUMMARY
from tests.teams.render_checks import check_activity, check_round_trips, check_turn, runs

LONG = "a" * 48 + ".9999999999"


def _tokened(message: Outbound, token: str = LONG) -> Outbound:
    return replace(message, token=token) if isinstance(message, Question | Summary) else message


@pytest.mark.parametrize("message", [CHOICE_QUESTION, MULTI_QUESTION, SUMMARY])
def test_every_button_carries_the_token_and_the_parser_reads_it(message) -> None:
    tokened = _tokened(message, "category.12")
    assert {d.get("t") for d in card_values(check_turn([tokened]))} == {"category.12"}
    for inbound in check_round_trips(tokened):
        assert inbound.token == "category.12"


def test_buttons_without_a_token_send_none() -> None:
    assert all(inbound.token is None for inbound in check_round_trips(CHOICE_QUESTION))


def test_the_longest_token_is_valid_in_the_schema() -> None:
    # check_turn validates every activity against the card schema; here, the tokens it carries.
    activities = check_turn([_tokened(CHOICE_QUESTION), _tokened(SUMMARY, "_summary.1")])
    tokens = {data.get("t") for data in card_values(activities)}
    assert tokens == {LONG, "_summary.1"}


def test_a_question_with_buttons_is_an_activity_of_its_own() -> None:
    notice = Notice("Call 999 now if you have not already.", "urgent")
    activities = check_turn([notice, _tokened(CHOICE_QUESTION, "category.2")])
    assert len(activities) == 2  # so that replacing the question loses nothing before it
    assert "Call 999" in "".join(runs(activities[:1]))
    assert not card_values(activities[0]) and card_values(activities[1])


def test_the_answered_card_keeps_the_question_and_guidance_and_drops_the_buttons() -> None:
    question = replace(CHOICE_QUESTION, guidance="Do not view the image.", token="category.2")
    activity = render_answered(Answered("category.2", question, "Cyber-bullying"))
    check_activity(activity)
    text = "".join(runs([activity]))
    assert question.text in text and "Do not view the image." in text
    assert strings.ANSWER_GIVEN.format(answer="Cyber-bullying") in text
    assert card_values(activity) == []


def test_the_answered_card_of_a_summary_and_of_an_unknown_question() -> None:
    summary = render_answered(Answered("_summary.9", SUMMARY, "Send to the DSL"))
    check_activity(summary)
    assert SUMMARY.title in "".join(runs([summary])) and card_values(summary) == []
    unknown = render_answered(Answered("x.1", None, None))
    check_activity(unknown)
    assert "".join(runs([unknown])) == strings.ANSWERED_EARLIER


def test_answered_is_never_a_message_of_its_own() -> None:
    assert render_turn([Answered("category.2", CHOICE_QUESTION, "x")]) == []
