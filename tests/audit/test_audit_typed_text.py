"""The self-audit's comments and written training requests are typed text: shown to the DSL
(the results cards, the CSV) with every address defanged and every direction control visible
(dialogs/text.py), as a report's answers are."""

from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo

from bot.audit.exports import results_csv
from bot.audit.present import results_messages
from bot.delivery.messages import Card
from tests.support.audit_results import results_of, seed

TYPED = "See https://training.example.org/a or bit.ly/x \u202egnp.exe"
SHOWN = "See hxxps://training[.]example[.]org/a or bit[.]ly/x [U+202E]gnp.exe"


async def test_audit_comments_and_requests_are_shown_safely(make_bot):
    bot = await make_bot()
    results = await results_of(bot, await seed(bot))
    assert results.comments and results.training_needs and results.respondents
    person = results.respondents[0]
    answers = (dataclasses.replace(person.answers[0], comment=TYPED), *person.answers[1:])
    typed = dataclasses.replace(
        results,
        comments=tuple(dataclasses.replace(c, text=TYPED) for c in results.comments),
        training_needs=tuple(dataclasses.replace(n, request=TYPED) for n in results.training_needs),
        respondents=(
            dataclasses.replace(person, answers=answers, training_text=TYPED),
            *results.respondents[1:],
        ),
    )
    cards = [m for m in results_messages(typed) if isinstance(m, Card)]
    shown = [f.value for card in cards for f in card.fields]
    assert SHOWN in shown  # a comment
    assert any(SHOWN in value and value != SHOWN for value in shown)  # a written request
    assert "\u202e" not in repr(shown) and "https://training" not in repr(shown)
    csv_text = results_csv(typed, tz=ZoneInfo("Europe/London"))
    assert csv_text.count(SHOWN) == 2 and "https://training" not in csv_text
