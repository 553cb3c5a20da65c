"""Old buttons in Teams: a click on a card whose question was answered changes nothing, says so
and shows where the person is; the clicked card is updated in place to one without buttons.

Each test keeps a card as the person's Teams client first showed it (its Sent record, with the
body first posted) and presses a button on it later, as someone scrolling up would.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.teams.render import card_values
from bot.words import strings
from tests.support.walk import cyberbullying_concern
from tests.teams.concerns import install_for_handlers, reports
from tests.teams.connector import Sent, text_of
from tests.teams.world import DSL, STAFF, TeamsWorld, settle

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

CONCERN = cyberbullying_concern("Names called in the class group chat.", "today 09:00")


def tokens_in(body: dict[str, Any]) -> list[str]:
    return [
        str(data["t"])
        for attachment in body.get("attachments") or []
        for data in card_values(attachment.get("content") or {})
        if "t" in data
    ]


def step_of(body: dict[str, Any]) -> str | None:
    """The step a card asks, from its buttons' click token (`<step>.<turn>`)."""
    found = tokens_in(body)
    return found[0].rpartition(".")[0] if found else None


def asking(world: TeamsWorld, user: str) -> Sent:
    """The newest card to `user` (as it is now) with a question's buttons."""
    for sent in reversed(world.posted_to(user)):
        if step_of(sent.body) is not None:
            return sent
    raise AssertionError(f"no question for {user}")


def said_since(world: TeamsWorld, user: str, before: int) -> str:
    return " ".join(text_of(s.body) for s in world.sent_to(user)[before:])


async def do(world: TeamsWorld, user: str, response: Any) -> None:
    assert (await response).status in (200, 201, 202)


async def answer(world: TeamsWorld, user: str, value: str) -> None:
    """Press the button on the newest question if it offers `value`, or type it."""
    question = asking(world, user)
    offered = any(d.get("v") == value for d in card_values(question.body.get("attachments")))
    if offered:
        await do(world, user, world.click(user, value, sent=question))
    else:
        await do(world, user, world.say(user, value))


async def walk_until(world: TeamsWorld, step: str) -> None:
    for _ in range(20):
        asked = step_of(asking(world, STAFF).body)
        if asked == step:
            return
        assert asked in CONCERN, f"unexpected question {asked!r}"
        await answer(world, STAFF, str(CONCERN[asked]))
    raise AssertionError(f"{step} never asked")


async def start_report(world: TeamsWorld) -> Sent:
    await do(world, STAFF, world.say(STAFF, "report"))
    first = asking(world, STAFF)
    assert step_of(first.body) == "immediate_danger"
    return first


def has_buttons(body: dict[str, Any]) -> bool:
    return bool(card_values(body.get("attachments") or []))


def now(world: TeamsWorld, sent: Sent) -> dict[str, Any]:
    return world.connector.now(sent)


async def test_an_old_yes_at_about_adult_changes_nothing(world: TeamsWorld):
    first = await start_report(world)
    await do(world, STAFF, world.click(STAFF, "no", sent=first))

    answered = now(world, first)  # updated in place (PUT to the clicked activity's id)
    assert not has_buttons(answered)
    assert "Is anyone in immediate danger" in text_of(answered)
    assert "Your answer: No" in text_of(answered)

    await walk_until(world, "about_adult")
    before = len(world.sent_to(STAFF))
    await do(world, STAFF, world.click(STAFF, "yes", sent=first))  # the old card's Yes
    assert strings.STALE_CLICK in said_since(world, STAFF, before)
    assert step_of(asking(world, STAFF).body) == "about_adult"
    assert await reports(world) == []  # nothing urgent opened, nobody alerted
    await walk_until(world, "pupils")


async def test_a_double_click_counts_once(world: TeamsWorld):
    first = await start_report(world)
    await do(world, STAFF, world.click(STAFF, "no", sent=first))
    before = len(world.sent_to(STAFF))
    await do(world, STAFF, world.click(STAFF, "yes", sent=first))  # the other button, too late
    assert strings.STALE_CLICK in said_since(world, STAFF, before)
    assert step_of(asking(world, STAFF).body) == "category"
    assert await reports(world) == []


async def test_a_finished_reports_button_does_nothing_to_the_next(world: TeamsWorld):
    first = await start_report(world)
    await do(world, STAFF, world.say(STAFF, "no"))  # typed: the card keeps its buttons
    await walk_until(world, "_summary")
    await answer(world, STAFF, "__submit")
    assert len(await reports(world)) == 1

    await start_report(world)
    before = len(world.sent_to(STAFF))
    await do(world, STAFF, world.click(STAFF, "yes", sent=first))
    assert strings.STALE_CLICK in said_since(world, STAFF, before)
    assert step_of(asking(world, STAFF).body) == "immediate_danger"
    assert [r.urgent for r in await reports(world)] == [False]
    old = now(world, first)
    assert not has_buttons(old) and strings.ANSWERED_EARLIER in text_of(old)


async def test_a_case_forms_old_button_changes_nothing(world: TeamsWorld):
    await install_for_handlers(world)
    await start_report(world)
    await walk_until(world, "_summary")
    await answer(world, STAFF, "__submit")
    (report,) = await reports(world)
    await settle(world)  # the alerts go out after the turn

    alert = world.newest_with(DSL, f"case:action:{report.id}")
    await do(world, DSL, world.click(DSL, f"case:action:{report.id}", sent=alert))
    form = asking(world, DSL)
    assert step_of(form.body) == "action"
    await do(world, DSL, world.click(DSL, "police", sent=form))
    assert step_of(asking(world, DSL).body) == "details"
    assert "Referred to the police" in text_of(now(world, form))
    before = len(world.sent_to(DSL))
    await do(world, DSL, world.click(DSL, "informed_parents", sent=form))
    assert strings.STALE_CLICK in said_since(world, DSL, before)
    assert step_of(asking(world, DSL).body) == "details"
    # A click can only come from a client that had not yet redrawn the card; the update that
    # answers it says the question was answered (Teams does not send the card back to say how).
    assert not has_buttons(now(world, form))
    assert has_buttons(now(world, alert))  # the case's own buttons stay: not a question


async def test_the_self_audits_old_button_changes_nothing(world: TeamsWorld):
    await install_for_handlers(world)
    await do(world, STAFF, world.install(STAFF))  # in Teams, those who have the app are asked
    await do(world, DSL, world.say(DSL, "audit start"))
    await do(world, STAFF, world.say(STAFF, "audit"))
    first = asking(world, STAFF)
    assert step_of(first.body) == "knows_lead"
    await do(world, STAFF, world.click(STAFF, "yes", sent=first))
    assert step_of(asking(world, STAFF).body) == "knows_lead_comment"
    before = len(world.sent_to(STAFF))
    await do(world, STAFF, world.click(STAFF, "no", sent=first))
    assert strings.STALE_CLICK in said_since(world, STAFF, before)
    assert step_of(asking(world, STAFF).body) == "knows_lead_comment"
