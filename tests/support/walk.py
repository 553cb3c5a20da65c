"""Answering a flow from a table of answers, recording which steps were asked."""

from __future__ import annotations

from tests.support.harness import Chat

Answer = str | tuple[str, ...]

STAFF = "t.brannigan@example.org"
CONCERN_TAIL: dict[str, Answer] = {
    "about_adult": "no",
    "pupils": "AB (Year 5), target; CD (Year 6), sent the messages",
    "what_happened": "AB showed me messages calling her names in the class group chat.",
    "disclosure": "no",
    "happened_at": "yesterday 15:00",
    "where": "WhatsApp group on a pupil's own phone",
    "actions_taken": "Spoke to the class teacher and kept the phone in the office.",
    "dsl_told_in_person": "yes",
}


def cyberbullying_concern(what_happened: str, happened_at: str) -> dict[str, Answer]:
    """A whole cyberbullying concern, step by step, as the platform tests file one."""
    return {
        "immediate_danger": "no",
        "category": "cyberbullying",
        "bullying_repeated": "yes",
        "bullying_evidence": "kept",
        "bullying_illegal": "no",
        **CONCERN_TAIL,
        "what_happened": what_happened,
        "happened_at": happened_at,
    }


async def answer(chat: Chat, value: Answer) -> None:
    """Click the option with this value if the question offers it; otherwise type it."""
    if isinstance(value, tuple):
        await chat.tick(*value)
        return
    question = chat.question
    if any(option.value == value for option in question.options):
        await chat.click(value)
    else:
        await chat.send(value)


async def walk_to_summary(chat: Chat, answers: dict[str, Answer], limit: int = 40) -> list[str]:
    """Answer each question from `answers` until the summary; return the steps asked in order."""
    asked: list[str] = []
    for _ in range(limit):
        step = chat.step
        if step == "summary":
            return asked
        assert step is not None, f"not in a flow: {chat.texts}"
        assert step in answers, f"unexpected question {step!r}; asked so far: {asked}"
        asked.append(step)
        await answer(chat, answers[step])
        assert not chat.notices("error"), f"{step}: {[n.text for n in chat.notices('error')]}"
    raise AssertionError(f"no summary after {limit} answers: {asked}")


async def start(chat: Chat, flow_id: str) -> None:
    await chat.open()
    await chat.click(f"start:{flow_id}")
