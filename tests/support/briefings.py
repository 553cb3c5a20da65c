"""A staff briefing as the DSL writes it with "brief": its answers, step by step (the brief
flow's step ids, dialogs/flows/brief.yaml), and the two check questions the tests use."""

from __future__ import annotations

from tests.support.harness import Chat
from tests.support.walk import Answer

TITLE = "A new app: what to look out for"
TEXT = "Pupils in Year 6 are using a new chat app that hides messages behind a calculator."
LINK = "https://school.example/briefings/new-app.pdf"
# The two check questions: (question, right answer, wrong answers).
QUESTIONS = (
    ("Who do you tell when a pupil shows you such an app?", "The DSL", ("Nobody", "A friend")),
    ("May you look through the pupil's phone?", "No", ("Yes",)),
)


def brief_answers(*, title: str = TITLE) -> dict[str, Answer]:
    """Every answer of the brief flow, in the order it asks them, then the summary's Send."""
    answers: dict[str, Answer] = {"template": "own", "title": title, "text": TEXT, "link": LINK}
    for n, (question, right, wrong) in enumerate(QUESTIONS, start=1):
        answers |= {
            f"add_q{n}": "yes",
            f"q{n}": question,
            f"q{n}_right": right,
            f"q{n}_wrong": "\n".join(wrong),
        }
    answers[f"add_q{len(QUESTIONS) + 1}"] = "no"
    return answers


async def write_briefing(chat: Chat, *, title: str = TITLE) -> None:
    """The DSL writes and sends the briefing through the real router, step by step."""
    await chat.send("brief")
    for step, answer in brief_answers(title=title).items():
        assert chat.step == step, f"asked {chat.step!r}, expected {step!r}"
        if answer in {"own", "yes", "no"}:
            await chat.click(str(answer))
        else:
            await chat.send(str(answer))
    assert chat.step == "summary", chat.step
    await chat.click("__submit")


def staff_answers(*chosen: str, comment: str = "__skip") -> dict[str, Answer]:
    """What a member of staff answers, step by step: the confirmation, then the option with each
    of these labels, each wrong one followed by `comment` (skipped by default). The bot lists a
    question's answers alphabetically, valued a, b, c..."""
    answers: dict[str, Answer] = {"read": "read"}
    for n, ((_question, right, wrong), label) in enumerate(zip(QUESTIONS, chosen, strict=True), 1):
        labels = sorted([right, *wrong], key=str.casefold)
        answers[f"q{n}"] = "abcde"[labels.index(label)]
        if label != right:
            answers[f"q{n}_comment"] = comment
    return answers
