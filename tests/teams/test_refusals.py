"""A message Teams refuses is never recorded as sent.

The fake Bot Connector refuses one person's chat (403 app removed or blocked, 404 conversation
gone, 429 throttled, 500 service error), hangs past the bot's send timeout, or closes the
connection unanswered. The outbox row
for that person stays pending with its error; once the connector accepts again it goes out
exactly once. 403 and 404 also mark the person's Teams address unreachable until they write
again, and the people who see the unreachable list see their name.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from typing import Any

import pytest
from sqlalchemy import select

from bot.delivery.dispatch import Dispatcher
from storage.models import ChannelAddress, Outbox
from tests.teams.connector import text_of
from tests.teams.filing import file_concern
from tests.teams.world import (
    DEPUTY_1,
    DEPUTY_2,
    DSL,
    HEAD,
    PEOPLE,
    STAFF,
    TeamsWorld,
    conversation_of,
    settle,
)

FAULTS: list[int | str] = [403, 404, 429, 500, "timeout", "dropped"]
GONE = (403, 404)
SEND_TIMEOUT = 1.0  # the dispatcher's, shortened so that a hung call costs the test 1 s
SECRET = "Name-calling about Zebedee in the class chat."


def email(user: str) -> str:
    return PEOPLE[user][0]


async def install_for_handlers(world: TeamsWorld) -> None:
    for user in (DSL, DEPUTY_1, DEPUTY_2, HEAD):
        assert (await world.install(user)).status in (200, 202)
    await settle(world)


# The dispatcher's own send timeout, put back once the connector answers again: a retry that
# goes through must not race a shortened timeout on a loaded machine (it would be retried, and
# an update put twice).
_NORMAL_SEND_TIMEOUT: weakref.WeakKeyDictionary[Dispatcher, float] = weakref.WeakKeyDictionary()


def break_chat(world: TeamsWorld, user: str, fault: int | str) -> None:
    if fault == "timeout":
        dispatcher = world.bot.dispatcher
        _NORMAL_SEND_TIMEOUT.setdefault(dispatcher, dispatcher.send_timeout)
        dispatcher.send_timeout = SEND_TIMEOUT
        world.connector.hang(conversation_of(user))
    elif fault == "dropped":  # the connection closed before any answer
        world.connector.drop(conversation_of(user))
    else:
        assert isinstance(fault, int)
        world.connector.refuse(conversation_of(user), fault)


async def outbox_row(world: TeamsWorld, kind: str, user: str) -> Outbox | None:
    async with world.bot.router.sessions() as session:
        return await session.scalar(
            select(Outbox).where(Outbox.kind == kind, Outbox.recipient_email == email(user))
        )


async def tried(world: TeamsWorld, kind: str, user: str, seconds: float = 20.0) -> Outbox:
    """The row once the dispatcher has recorded an attempt at it."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        row = await outbox_row(world, kind, user)
        if row is not None and row.attempts >= 1:
            return row
        await asyncio.sleep(0.02)
    raise AssertionError(f"no attempt at the {kind} for {user} within {seconds} s")


async def address(world: TeamsWorld, user: str) -> ChannelAddress:
    async with world.bot.router.sessions() as session:
        row = await session.scalar(
            select(ChannelAddress).where(
                ChannelAddress.channel == "teams", ChannelAddress.platform_user_id == user
            )
        )
    assert row is not None
    return row


async def assert_pending(world: TeamsWorld, row: Outbox, user: str, fault: int | str) -> None:
    assert (row.status, row.sent_at, row.platform_ref) == ("pending", None, None), row.last_error
    assert row.last_error, "no error recorded"
    if fault == "timeout":
        # The send's own timeout, whether it ran out while the connector held the call or (on a
        # loaded machine) before the call reached it: either way nothing was taken as sent.
        assert row.last_error == "timed out", row.last_error
    else:
        wanted = 0 if fault == "dropped" else fault
        assert any(status == wanted for _method, status in world.connector.refused)
    found = await address(world, user)
    if fault in GONE:
        assert found.reachable is False
        assert found.unreachable_reason and str(fault) in found.unreachable_reason
        assert found.unreachable_at == world.bot.router.clock()
        named = await world.bot.teams.unreachable_handlers()
        if user != STAFF:
            assert any(email(user) in line and str(fault) in line for line in named), named
    else:
        assert found.reachable is True


async def mend(world: TeamsWorld, clock: Any, user: str, fault: int | str) -> None:
    """The connector accepts again (and someone whose app was gone writes again); then the
    row's back-off passes and the dispatcher sweeps."""
    world.connector.accept(conversation_of(user))
    dispatcher = world.bot.dispatcher
    dispatcher.send_timeout = _NORMAL_SEND_TIMEOUT.pop(dispatcher, dispatcher.send_timeout)
    if fault in GONE:
        assert (await world.say(user, "hello")).status in (200, 202)
        assert (await address(world, user)).reachable is True
        # Writing again delivers what waited for them, in the background: on this clock, not
        # on the one three hours on (a send claimed then would find its lease long gone).
        assert world.bot.teams is not None
        await world.bot.teams.background_done()
    clock.advance(hours=3)
    await world.bot.dispatcher.deliver_due()
    await settle(world)


async def sent_once(world: TeamsWorld, kind: str, user: str) -> Outbox:
    row = await outbox_row(world, kind, user)
    assert row is not None and row.status == "sent", row and row.last_error
    return row


def proactive_posts(world: TeamsWorld, user: str, fragment: str) -> list[Any]:
    return [
        s
        for s in world.sent_to(user)
        if s.method == "POST" and s.reply_to is None and fragment in text_of(s.body)
    ]


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_refused_alert_stays_pending_then_goes_once(world, clock, caplog, fault):
    await install_for_handlers(world)
    break_chat(world, DSL, fault)
    reference = await file_concern(world, SECRET)

    row = await tried(world, "alert", DSL)
    await assert_pending(world, row, DSL, fault)
    assert proactive_posts(world, DSL, reference) == []

    if fault in GONE:  # named to those who can act, in their case list and at start-up
        await world.say(DEPUTY_1, "cases")
        said = " ".join(world.texts_to(DEPUTY_1)[-3:])
        assert "Not reachable on Teams" in said and "Alice Hartley" in said
        with caplog.at_level(logging.WARNING):
            await world.bot.teams.report_unreachable()
        assert f"Alice Hartley <{email(DSL)}> (Teams answered {fault})" in caplog.text

    await mend(world, clock, DSL, fault)
    row = await sent_once(world, "alert", DSL)
    (alert,) = proactive_posts(world, DSL, reference)
    assert row.platform_ref == alert.activity_id

    clock.advance(hours=3)  # a later sweep finds nothing more to send
    await world.bot.dispatcher.deliver_due()
    assert len(proactive_posts(world, DSL, reference)) == 1


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_refused_card_update_stays_pending_then_goes_once(world, clock, fault):
    await install_for_handlers(world)
    reference = await file_concern(world, SECRET)
    await settle(world)
    (alert,) = proactive_posts(world, DSL, reference)
    report_id = (await sent_once(world, "alert", DSL)).report_id

    break_chat(world, DSL, fault)
    await world.click(DEPUTY_1, f"case:ack:{report_id}")  # the DSL's card is updated in place
    row = await tried(world, "update", DSL)
    await assert_pending(world, row, DSL, fault)
    assert [s for s in world.sent_to(DSL) if s.method == "PUT"] == []

    await mend(world, clock, DSL, fault)
    await sent_once(world, "update", DSL)
    (update,) = [s for s in world.sent_to(DSL) if s.method == "PUT"]
    assert update.activity_id == alert.activity_id
    assert "Acknowledged by Daniel Osei" in text_of(update.body)

    clock.advance(hours=3)
    await world.bot.dispatcher.deliver_due()
    assert len([s for s in world.sent_to(DSL) if s.method == "PUT"]) == 1


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_refused_seen_notice_stays_pending_then_goes_once(world, clock, fault):
    await install_for_handlers(world)
    reference = await file_concern(world, SECRET)
    await settle(world)
    report_id = (await sent_once(world, "alert", DSL)).report_id

    break_chat(world, STAFF, fault)
    await world.click(DSL, f"case:ack:{report_id}")
    row = await tried(world, "seen", STAFF)
    await assert_pending(world, row, STAFF, fault)
    assert proactive_posts(world, STAFF, "seen by the DSL") == []

    await mend(world, clock, STAFF, fault)
    await sent_once(world, "seen", STAFF)
    (seen,) = proactive_posts(world, STAFF, "seen by the DSL")
    assert reference in text_of(seen.body)

    clock.advance(hours=3)
    await world.bot.dispatcher.deliver_due()
    assert len(proactive_posts(world, STAFF, "seen by the DSL")) == 1


async def test_later_alerts_wait_while_the_address_is_unreachable(world, clock):
    await install_for_handlers(world)
    world.connector.refuse(conversation_of(DSL), 403)
    await file_concern(world, SECRET)
    await tried(world, "alert", DSL)
    refusals = len(world.connector.refused)

    second = await file_concern(world, "A second concern.", user=STAFF)
    await settle(world)
    async with world.bot.router.sessions() as session:
        waiting = list(
            await session.scalars(
                select(Outbox).where(
                    Outbox.recipient_email == email(DSL), Outbox.status == "pending"
                )
            )
        )
    assert len(waiting) == 2 and all(r.last_error for r in waiting)
    # Teams is not asked again for someone who is known to be unreachable.
    assert [c for c, _ in world.connector.refused[refusals:]] == []
    assert proactive_posts(world, DSL, second) == []


async def test_proactive_activities_carry_no_null_id(world):
    """The Agents Playground answers 400 BadArgument to `"id": null`; Teams has no use for it."""
    await install_for_handlers(world)
    reference = await file_concern(world, SECRET)
    await settle(world)
    (alert,) = proactive_posts(world, DSL, reference)
    body = json.loads(alert.raw)
    assert "id" not in body, alert.raw[:200]
    assert b"null" not in alert.raw, alert.raw[:400]
    report_id = (await sent_once(world, "alert", DSL)).report_id
    await world.click(DSL, f"case:ack:{report_id}")
    await settle(world)
    for sent in world.connector.sent:
        if sent.reply_to is None:  # every proactive post and every update
            assert b"null" not in sent.raw, (sent.method, sent.raw[:400])


async def test_a_refused_reply_in_a_turn_is_not_answered_as_success(world, caplog):
    world.connector.refuse(conversation_of(STAFF), 500)
    with caplog.at_level(logging.INFO):
        response = await world.say(STAFF, "Zebedee said something")
    assert response.status >= 500
    assert any(status == 500 for _method, status in world.connector.refused)
    assert "Zebedee" not in caplog.text
    assert any("ClientResponseError" in r.getMessage() for r in caplog.records)


async def test_check_names_whom_teams_refused(world, capsys):
    from bot.__main__ import _check_teams_reach

    await install_for_handlers(world)
    world.connector.refuse(conversation_of(DSL), 403)
    await file_concern(world, SECRET)
    await tried(world, "alert", DSL)
    await settle(world)
    await _check_teams_reach(world.bot)
    printed = capsys.readouterr().out
    assert f"Alice Hartley <{email(DSL)}> (Teams answered 403)" in printed, printed
    assert "Daniel Osei" not in printed
