"""Sextortion can be reported from contact, commerce, conduct and the image case alike: each is
urgent at once, says what the NCA's 2024 alert asks of staff, and is an image case that asks
the image questions (issue 15, point 3). SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.words.strings import URGENT_REASONS
from dialogs.loader import BUILTIN_FLOWS, load_flows
from tests.support.harness import Chat
from tests.support.reports import answers_of, only_report
from tests.support.walk import CONCERN_TAIL, STAFF, Answer, ChatAsking, start, walk

# The NCA's advice, as the reporter must be told it (and nothing that contradicts it).
NCA_ADVICE = [
    "not to pay",
    "not to send anything more",
    "not to delete anything",
    "Do not look at the messages or images yourself",
    "switched off and secure",
    "Tell the DSL now",
]
IMAGE_STEPS: dict[str, Answer] = {
    "image_device": "secured",
    "device_kept": "Locked in the office safe; the head has the key.",
    "image_seen": "not_seen",
    "image_indicators": "skip",
}
ROUTES: list[tuple[str, dict[str, Answer], str]] = [
    # (category, its answers up to and including the choice of sextortion, that step)
    ("contact", {"contact_kind": "sextortion"}, "contact_kind"),
    ("commerce", {"commerce_kind": "sextortion"}, "commerce_kind"),
    ("conduct", {"conduct_kind": "sextortion"}, "conduct_kind"),
]


def notices(chat: Chat) -> str:
    return " ".join(n.text for n in chat.notices())


@pytest.mark.parametrize(("category", "branch", "step"), ROUTES, ids=[r[0] for r in ROUTES])
async def test_sextortion_is_urgent_with_the_ncas_advice_from_every_category(
    make_bot, category, branch, step
):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    await walk(ChatAsking(chat), {"immediate_danger": "no", "category": category}, until=step)
    labels = {o.value: o.label for o in chat.question.options}
    assert "sextortion" in labels["sextortion"].casefold()

    await chat.click("sextortion")

    report = await only_report(bot)  # urgent at once, before the rest is answered
    assert (report.status, report.urgent, report.urgent_reasons) == (
        "in_progress",
        True,
        ["sextortion"],
    )
    said = notices(chat)
    for advice in NCA_ADVICE:
        assert advice.casefold() in said.casefold(), said
    assert "block" not in said.casefold()  # blocking is for the DSL, after the evidence is kept
    assert URGENT_REASONS["sextortion"] in " ".join(n.text for n in chat.notices("urgent"))

    rest: dict[str, Answer] = {**IMAGE_STEPS, **CONCERN_TAIL}
    if category == "contact":
        rest = {"contact_meeting": "no", **rest}
    asked = await walk(ChatAsking(chat), rest)
    assert asked == list(rest)  # the image questions, then the common ones
    await chat.click("__submit")

    final = await only_report(bot)
    assert (final.category, final.subcategory) == (category, "sextortion")
    assert (final.status, final.urgent_reasons) == ("submitted", ["sextortion"])
    stored = await answers_of(bot, final)
    assert stored[step] == "sextortion"
    assert stored["device_kept"] == IMAGE_STEPS["device_kept"]
    spec = bot.router.flows["concern"].spec
    option = spec.recorded_option("subcategory", "sextortion")
    assert option is not None and option.image_case  # closed with the UKCIS criteria


async def test_sextortion_in_the_image_case_gives_the_same_advice(make_bot):
    bot = await make_bot()
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    before = {"immediate_danger": "no", "category": "image", "image_rules": "ok"}
    await walk(ChatAsking(chat), {**before, **IMAGE_STEPS}, until="image_indicators")
    await chat.tick("sextortion")
    report = await only_report(bot)
    assert (report.urgent, report.urgent_reasons) == (True, ["sextortion"])
    said = notices(chat)
    for advice in NCA_ADVICE:
        assert advice.casefold() in said.casefold(), said


def test_no_notice_tells_staff_to_help_block_and_keep_the_messages() -> None:
    # "Help them block the person and keep the messages" contradicted "switch it off, do not
    # look"; every sextortion notice is now the NCA's advice.
    concern = load_flows(BUILTIN_FLOWS)["concern"].spec
    texts = [e.notice or "" for s in concern.steps for e in s.on_answer]
    assert not [t for t in texts if "block the person" in t]
    sextortion = [e.notice for s in concern.steps for e in s.on_answer if e.reason == "sextortion"]
    assert len(sextortion) == 4 and len(set(sextortion)) == 1
