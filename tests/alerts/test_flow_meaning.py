"""What the flows say is what the bot does: the steps ICT is sent, the image cases, the words of
an action in the chronology. A school changes them in its own flow files (`extends:`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cases.export import chronology_record
from bot.delivery.messages import Card
from dialogs.loader import BUILTIN_FLOWS, load_flows
from tests.support.alerts import file_filtering_report
from tests.support.harness import Chat
from tests.support.reports import only_report
from tests.support.walk import CONCERN_TAIL, STAFF, start, walk_to_summary

DSL, ICT = "a.hartley@example.org", "r.adeyemi@example.org"


def school_flows(tmp_path: Path, **files: dict[str, Any]) -> Path:
    folder = tmp_path / "flows"
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return folder


def builtin_step(flow_id: str, step_id: str) -> dict[str, Any]:
    step = load_flows(BUILTIN_FLOWS)[flow_id].spec.step(step_id)
    return step.model_dump(mode="json", exclude_defaults=True)


async def file_concern(bot, category: str, kind_step: str, kind: str) -> None:
    chat = Chat(bot, STAFF)
    await start(chat, "concern")
    answers = {"immediate_danger": "no", "category": category, kind_step: kind}
    await walk_to_summary(chat, {**answers, **CONCERN_TAIL})
    await chat.click("__submit")


@pytest.mark.parametrize("own", [False, True])
async def test_ict_is_sent_the_steps_the_flow_shares_with_it(make_bot, channel, tmp_path, own):
    address = {k: v for k, v in builtin_step("filtering", "address").items() if k != "share_with"}
    ours = {"extends": "filtering", "steps": [address]}  # the school keeps addresses from ICT
    flows_dir = school_flows(tmp_path, filtering=ours) if own else None
    bot = await make_bot(notifiers={"test": channel}, flows_dir=flows_dir)
    await file_filtering_report(bot)
    await bot.dispatcher.deliver_due()
    (ict,) = channel.to(ICT)
    (card,) = ict.messages
    assert isinstance(card, Card)
    shown = {f.label: f.value for f in card.fields}
    assert shown["Problem"] == "Harmful or unsuitable content got through"
    assert "When" in shown and "Device, room and account" not in shown
    assert shown["Device and room"] == "PC 12, ICT suite" and "User account" not in shown
    assert shown["Connection"] == "Guest Wi-Fi" and "Who was using it" not in shown
    assert ("Web address or search term" in shown) is not own


@pytest.mark.parametrize(("own", "first"), [(False, "decision"), (True, "referral_criteria")])
async def test_an_option_marked_image_case_makes_an_image_case(make_bot, tmp_path, own, first):
    category = builtin_step("concern", "category")
    for option in category["options"]:
        if option["value"] == "commerce":  # a school that wants the UKCIS criteria asked here
            option["image_case"] = True
    ours = school_flows(tmp_path, concern={"extends": "concern", "steps": [category]})
    bot = await make_bot(flows_dir=ours if own else None)
    await file_concern(bot, "commerce", "commerce_kind", "scam")
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:close:{(await only_report(bot)).id}")
    dsl.assert_asked(first)


@pytest.mark.parametrize(("own", "label"), [(False, "Something else"), (True, "Another step")])
async def test_the_chronology_words_an_action_as_the_case_action_flow_does(
    make_bot, tmp_path, own, label
):
    action = builtin_step("case_action", "action")
    (other,) = [o for o in action["options"] if o["value"] == "other"]
    other["label"] = "Another step"
    ours = school_flows(tmp_path, case_action={"extends": "case_action", "steps": [action]})
    bot = await make_bot(flows_dir=ours if own else None)
    await file_concern(bot, "commerce", "commerce_kind", "scam")
    report = await only_report(bot)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:action:{report.id}")
    await dsl.click("other")
    await dsl.send("Wrote to the app's makers.")
    await dsl.send("today 10:00")
    await dsl.click("__submit")

    await dsl.click(f"case:view:{report.id}")
    history = next(r for r in dsl.replies if isinstance(r, Card) and r.title == "Chronology")
    assert f"recorded an action: {label} —" in repr(history.fields)
    async with bot.router.sessions() as session:
        router = bot.router
        record = await chronology_record(
            session,
            desk=router.desk,
            cards=router.cases.cards,
            report=report,
            exported_by=DSL,
            now=router.clock(),
        )
    assert f"Recorded an action: {label}" in [line.what for line in record.lines]
