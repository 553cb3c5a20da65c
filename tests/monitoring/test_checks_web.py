"""The filtering check in the web chat, over its real websocket on loopback: the ICT lead types
"check" and walks it by step id; `checks` shows the DSL the list with a link to the spreadsheet,
which the route makes afresh for whoever is allowed (staff get 403, recorded)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from storage.models import Event, FilteringCheck
from tests.monitoring.checks import CHECK, ICT
from tests.support.walk import walk
from tests.web.chat import DSL, STAFF, WebTab, items, open_chat, serve, sign_in

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


async def test_the_check_in_the_web_chat_and_its_spreadsheet(make_bot):
    bot = await make_bot()
    async with serve(bot) as ict, serve(bot) as dsl, serve(bot) as staff:
        await sign_in(ict, ICT)
        async with open_chat(ict) as (chat, _hello, _menu):
            tab = WebTab(chat, await chat.text("check"))
            await walk(tab, CHECK)
            done = items(await chat.action("__submit"))
            assert any("Recorded: thank you" in (i.get("text") or "") for i in done)
        async with bot.router.sessions() as session:
            (check,) = list(await session.scalars(select(FilteringCheck)))
        assert check.checked_by == ICT and check.channel == "web"

        await sign_in(dsl, DSL)
        async with open_chat(dsl) as (chat, _hello, _menu):
            shown = items(await chat.text("checks"))
        (card,) = [i for i in shown if i["kind"] == "card"]
        assert card["title"] == "Filtering checks (1 recorded)"
        (link,) = card["links"]
        response = await dsl.get(link["href"])
        assert response.status == 200 and response.content_type == "text/csv"
        (row,) = csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig")))
        assert row["Device"] == "Pupil laptop 12" and row["Checked by"] == "Ravi Adeyemi"

        await sign_in(staff, STAFF)
        refused = await staff.get(link["href"])
        assert refused.status == 403
        assert (await dsl.get(link["href"].replace("checks", "nothing"))).status == 404
    async with bot.router.sessions() as session:
        kinds = [
            (e.kind, e.actor_email) for e in await session.scalars(select(Event).order_by(Event.id))
        ]
    assert ("filtering_checks_exported", DSL) in kinds
    assert ("refused", STAFF) in kinds
