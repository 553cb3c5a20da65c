"""A staff briefing through the web chat's real websocket: the DSL writes it with "brief", the
invitation reaches a member of staff's open page once, they read it, answer its two questions
and confirm; a reminder goes only to those who have not confirmed, and "briefings" names them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import build_bot, prepare_storage
from bot.audit.questions import open_answers
from bot.audit.scheduled import audit_housekeeping
from storage.models import AuditMessage, AuditParticipant
from tests.support.briefings import TITLE, brief_answers
from tests.support.clock import FakeClock
from tests.web.chat import DSL, STAFF, Socket, asked, items, open_chat, serve, sign_in, web_settings

OTHER = "s.nakamura@example.org"


def text_of(frame: dict[str, Any]) -> str:
    return json.dumps(items(frame))


def option(frame: dict[str, Any], label: str) -> str:
    (value,) = [o["value"] for o in asked(frame)["options"] if o["label"] == label]
    return str(value)


def start_button(frame: dict[str, Any]) -> str:
    (value,) = {
        o["value"]
        for i in items(frame)
        for o in i.get("actions", []) + i.get("options", [])
        if str(o.get("value", "")).startswith("audit:start:")
    }
    return str(value)


async def write(dsl: Socket) -> dict[str, Any]:
    frame = await dsl.text("brief")
    for step, answer in brief_answers().items():
        assert asked(frame)["step_id"] == step, text_of(frame)
        if answer in {"yes", "no"}:
            frame = await dsl.action(str(answer))
        else:
            frame = await dsl.text(str(answer))
    assert asked(frame)["kind"] == "summary"
    return await dsl.action("__submit")


async def test_a_whole_briefing_in_the_web_chat(
    database_url: str, tmp_path: Path, clock: FakeClock
):
    bot = build_bot(web_settings(database_url, tmp_path), clock=clock)
    await prepare_storage(bot)
    assert bot.audit is not None
    async with serve(bot) as client:
        await sign_in(client, STAFF)
        async with open_chat(client) as (staff, _hello, _first):
            refused = await staff.text("brief")  # staff may not
            assert "Only the DSL" in text_of(refused)

        await sign_in(client, DSL)
        async with open_chat(client) as (dsl, _hello, _first):
            sent = await write(dsl)
            assert "on its way to 10 members of staff" in text_of(sent)

        async with serve(bot) as staff_client, serve(bot) as other_client:
            await sign_in(staff_client, STAFF)
            await sign_in(other_client, OTHER)
            async with (
                open_chat(staff_client) as (staff, _hello, _first),
                open_chat(other_client) as (other, _h, _f),
            ):
                assert await bot.audit.sender.deliver_due() == 2  # the two open pages
                invitation = await staff.next()
                assert TITLE in text_of(invitation)
                assert TITLE in text_of(await other.next())
                assert await bot.audit.sender.deliver_due() == 0  # once
                frame = await staff.action(start_button(invitation))
                assert asked(frame)["step_id"] == "read"
                assert "calculator" in text_of(frame)  # the briefing's text, with its link
                assert "new-app.pdf" in text_of(frame)
                frame = await staff.action("read")
                assert asked(frame)["step_id"] == "q1"
                frame = await staff.action(option(frame, "The DSL"))
                assert asked(frame)["step_id"] == "q2"
                frame = await staff.action(option(frame, "Yes"))  # wrong: shown the right one
                assert "The right answer" in text_of(frame)
                assert asked(frame)["step_id"] == "q2_comment"  # and asked for a comment
                frame = await staff.text("I was not sure about school phones.")
                assert asked(frame)["kind"] == "summary"
                frame = await staff.action("__submit")
                assert "Thank you" in text_of(frame)

    async with bot.router.sessions() as session:
        people = {p.email: p for p in await session.scalars(select(AuditParticipant))}
    me = people[STAFF]
    assert me.status == "finished" and me.finished_at is not None
    answers = open_answers(bot.cipher, me)
    assert answers["read"] == "read"
    assert people[OTHER].status != "finished"

    # A week on: a reminder for the one who was asked and has not confirmed, and no one else.
    clock.advance(days=bot.school.audit.reminder_days[0], minutes=1)
    await audit_housekeeping(bot.audit)
    await audit_housekeeping(bot.audit)
    async with bot.router.sessions() as session:
        reminded = list(
            await session.scalars(
                select(AuditMessage.recipient_email).where(AuditMessage.kind == "reminder")
            )
        )
    assert reminded == [OTHER]

    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (dsl, _hello, _first):
            report = text_of(await dsl.text("briefings"))
    assert TITLE in report and "1 of 10 confirmed" in report
    assert "Sophie Nakamura" in report  # not confirmed
    assert "Tom Brannigan" in report and "answered Yes" in report  # a training need
    assert "I was not sure about school phones." in report

    # Everyone's confirmations and answers as CSV, from the card's link: the DSL's only.
    async with bot.router.sessions() as session:
        (campaign_id,) = set(await session.scalars(select(AuditParticipant.campaign_id)))
    path = f"/api/audit/{campaign_id}/results.csv"
    assert path in report
    async with serve(bot) as client:
        await sign_in(client, STAFF)
        assert (await client.get(path)).status == 403
        await sign_in(client, DSL)
        got = await client.get(path)
        assert got.status == 200
        rows = list(csv.reader(io.StringIO((await got.read()).decode("utf-8-sig"))))
        picture = await client.get(f"/api/audit/{campaign_id}/chart.png")  # as the audit's
        assert picture.status == 200 and picture.content_type == "image/png"
        assert (await picture.read())[:8] == b"\x89PNG\r\n\x1a\n"
    header, *body = rows
    assert header[:3] == ["Name", "Email", "Confirmed on"]
    mine = [row for row in body if row[1] == STAFF]
    assert [row[3] for row in mine] == ["1", "2"]  # a row per question
    assert mine[1][5:] == ["Yes", "No", "No", "I was not sure about school phones."]
    assert me.finished_at is not None and mine[0][2] == me.finished_at.date().isoformat()
    others = [row for row in body if row[1] == OTHER]
    assert others and all(row[2] == "" and row[5] == "" for row in others)  # not confirmed
    await bot.engine.dispose()
