"""The rules of trust (DESIGN.md) in a trust's deployment, over the real web chat: an alert the
channel cannot deliver stays unsent in its school's records and goes when the DSL can be
reached; an old button of a school's changes nothing; and the adult an allegation is about is
never alerted and never shown it, in the school where it is made."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import Bot
from storage.models import Outbox, Report
from tests.support.walk import CONCERN_TAIL, Answer, walk
from tests.web.chat import asked, items, notices, open_chat, serve, sign_in, step_of
from tests.web.test_trust_deployment import (
    OAKFIELD_DSL,
    OAKFIELD_ONLY,
    TrustTab,
    button,
    file_concern,
    trust_bot,
)

__all__ = ["trust_bot"]  # the fixture
HEAD = "m.fenwick@example.org"  # Oakfield's head: allegations about staff go to them
ABOUT_THE_DSL: dict[str, Answer] = {
    "immediate_danger": "no",
    "category": "other",
    "other_kind": "A worry about an adult",
    **CONCERN_TAIL,
    "about_adult": "yes",
    "adult_concern_kind": "harm",
    "adult_is_head": "no",
    "adult_who": "Mrs Hartley",
    "what_happened": "Messages from a staff account to a pupil late at night.",
}


async def _rows(bot: Bot, key: str, email: str) -> list[tuple[str, str]]:
    """(kind, status) of each outbox row for `email` in school `key`'s records."""
    async with bot.parts[key].sessions() as session:
        rows = await session.execute(
            select(Outbox.kind, Outbox.status).where(Outbox.recipient_email == email)
        )
        return [(kind, status) for kind, status in rows]


async def test_an_alert_the_dsl_cannot_be_reached_for_stays_unsent_until_they_can(
    trust_bot: Bot,
) -> None:
    async with serve(trust_bot) as client:
        await sign_in(client, OAKFIELD_ONLY)
        async with open_chat(client) as (chat, _hello, menu):
            reference = await file_concern(chat, menu, "oakfield")
        # The DSL has no tab open: the web chat refuses the delivery ("not signed in").
        await trust_bot.parts["oakfield"].dispatcher.deliver_due()
        assert ("alert", "pending") in await _rows(trust_bot, "oakfield", OAKFIELD_DSL)
        assert ("alert", "sent") not in await _rows(trust_bot, "oakfield", OAKFIELD_DSL)
        assert await _rows(trust_bot, "riverside", OAKFIELD_DSL) == []
        client.session.cookie_jar.clear()
        await sign_in(client, OAKFIELD_DSL)
        async with open_chat(client) as (dsl, _hello, _menu):
            alert = await dsl.push()  # opening the chat delivers what waited
    assert reference in str(alert)
    assert ("alert", "sent") in await _rows(trust_bot, "oakfield", OAKFIELD_DSL)


async def test_an_old_button_of_a_school_changes_nothing(trust_bot: Bot) -> None:
    async with serve(trust_bot) as client:
        await sign_in(client, OAKFIELD_ONLY)
        async with open_chat(client) as (chat, _hello, menu):
            first = await chat.action(button(menu, "start:concern"))
            old_token = chat.token
            old_no = button(first, "no")  # immediate danger: No
            tab = TrustTab(chat, await chat.action(old_no), "oakfield")
            assert step_of(tab.frame) == "category"
            # The first question's button again (a double click, or an old message).
            again = await chat.action(old_no, token=old_token)
            assert step_of(again) == "category"  # where the person is, nothing answered
            assert asked(again)["token"] != old_token
    async with trust_bot.parts["oakfield"].sessions() as session:
        assert list(await session.scalars(select(Report.id))) == []  # nothing filed


async def test_the_adult_an_allegation_is_about_is_never_alerted_nor_shown_it(
    trust_bot: Bot,
) -> None:
    async with serve(trust_bot) as client:
        await sign_in(client, OAKFIELD_ONLY)
        async with open_chat(client) as (chat, _hello, menu):
            tab = TrustTab(chat, await chat.action(button(menu, "start:concern")), "oakfield")
            await walk(tab, ABOUT_THE_DSL, in_order=False)
            await chat.action(button(tab.frame, "__submit"))
            await chat.push()  # the reporter's receipt
        await trust_bot.parts["oakfield"].dispatcher.deliver_due()
        assert [k for k, _ in await _rows(trust_bot, "oakfield", OAKFIELD_DSL)] == []
        # The head is alerted: the case is not lost, only kept from her.
        assert ("alert", "pending") in await _rows(trust_bot, "oakfield", HEAD)
        client.session.cookie_jar.clear()
        await sign_in(client, OAKFIELD_DSL)
        async with open_chat(client) as (dsl, _hello, _menu):
            listed = await dsl.text("cases")
            async with trust_bot.parts["oakfield"].sessions() as session:
                report = (await session.scalars(select(Report))).one()
            assert report.allegation
            assert str(report.reference) not in str(listed)
            shown = await dsl.action(f"@oakfield|case:view:{report.id}", token=None)
            assert "Messages from a staff account" not in str(shown)
            assert notices(shown, "error") or not items(shown)
    assert [k for k, _ in await _rows(trust_bot, "oakfield", OAKFIELD_DSL)] == []
