"""The contacts beyond the school in Teams: the reporter's confirmation names children's social
care's numbers, an alert outside school hours its out-of-hours number, and the form that
closes a case the routes its decision may need."""

from __future__ import annotations

import asyncio

import pytest

from tests.teams.concerns import file_concern, install_for_handlers, reports
from tests.teams.world import DSL, STAFF, TeamsWorld

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


async def until(what: str, check, within: float = 20.0):
    for _ in range(int(within / 0.02)):
        if found := check():
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def said(world: TeamsWorld, user: str, fragment: str) -> list[str]:
    return [text for text in world.texts_to(user) if fragment in text]


async def test_the_confirmation_alert_and_closing_form_show_the_contacts(world, clock):
    clock.now = clock.now.replace(hour=20)  # 20:00 in November: after school
    await install_for_handlers(world)
    reference = await file_concern(world, "Name-calling in the class group chat.")

    (receipt,) = said(world, STAFF, reference)
    assert "If you are still worried, speak to the DSL or a deputy in person" in receipt
    assert "anyone can call children's social care on 01632 960006" in receipt
    assert "outside office hours, on 01632 960008" in receipt

    alert = (await until("the DSL's alert", lambda: said(world, DSL, "outside school")))[-1]
    assert "01632 960006; outside office hours: 01632 960008" in alert
    assert "NSPCC helpline (advice for adults worried about a child): 0808 800 5000" in alert

    (case,) = [r.id for r in await reports(world)]
    before = len(world.texts_to(DSL))
    await world.click(DSL, f"case:close:{case}")
    shown = " ".join((await until("the form", lambda: world.texts_to(DSL)[before:]))[:1])
    assert "Contacts for this case, if you refer it or need advice:" in shown
    assert "Police, in an emergency: 999" in shown
    assert "https://reportharmfulcontent.com/" in shown  # cyber-bullying
