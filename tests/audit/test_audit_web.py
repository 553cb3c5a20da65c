"""The whole self-audit through the web chat's real websocket: the DSL starts it, the
invitation arrives on a member of staff's open page, they answer (stopping half-way and
carrying on), the answers are stored sealed, and the DSL's results count them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import build_bot, prepare_storage
from bot.audit.questions import open_answers
from storage.models import AuditCampaign, AuditMessage, AuditParticipant
from tests.support.clock import FakeClock
from tests.web.chat import DSL, STAFF, asked, items, open_chat, serve, sign_in, web_settings

QUESTIONS = (
    "knows_lead",
    "pupil_concern",
    "staff_aup",
    "filtering_familiar",
    "filtering_role",
    "pupil_aup",
    "password_change",
    "cyberbullying_approach",
)


def text_of(frame: dict[str, Any]) -> str:
    return json.dumps(items(frame))


async def test_a_whole_audit_in_the_web_chat(database_url: str, tmp_path: Path, clock: FakeClock):
    bot = build_bot(web_settings(database_url, tmp_path), clock=clock)
    await prepare_storage(bot)
    assert bot.audit is not None
    async with serve(bot) as client:
        await sign_in(client, DSL)
        async with open_chat(client) as (dsl, _hello, _first):
            started = await dsl.text("audit start")
            assert "self-audit has started" in text_of(started)
            again = await dsl.text("audit start")  # a second start: the same campaign, nobody twice
            assert "already running" in text_of(again)

        async with serve(bot) as staff_client:
            await sign_in(staff_client, STAFF)
            async with open_chat(staff_client) as (staff, _hello, _first):
                sent = await bot.audit.sender.deliver_due()
                assert sent >= 1
                invitation = await staff.next()
                assert "Online safety self-audit 2026-27" in text_of(invitation)
                (campaign_id,) = {
                    o["value"]
                    for i in items(invitation)
                    for o in i.get("actions", []) + i.get("options", [])
                    if str(o.get("value", "")).startswith("audit:start:")
                }
                frame = await staff.action(campaign_id)
                assert asked(frame)["step_id"] == "knows_lead"
                frame = await staff.action("maybe")  # not yes or no: asked again, nothing lost
                frame = await staff.text("maybe")
                assert asked(frame)["step_id"] == "knows_lead"
                frame = await staff.action("yes")
                frame = await staff.action("__skip")  # no comment
                frame = await staff.action("no")  # pupil_concern: a training need
                frame = await staff.text("Not sure who to tell out of hours.")
                frame = await staff.action("__cancel")  # stop half-way...
                frame = await staff.action("__cancel_yes")
                frame = await staff.action(campaign_id)  # ...and carry on later
                assert asked(frame)["step_id"] == "staff_aup"
                for step in QUESTIONS[2:]:
                    assert asked(frame)["step_id"] == step
                    frame = await staff.action("yes")
                    frame = await staff.action("__skip")
                assert asked(frame)["step_id"] == "training_needs"
                frame = await staff.text("Online gaming and the risks for Year 6.")
                assert asked(frame)["kind"] == "summary"
                frame = await staff.action("__submit")
                assert "your self-audit answers are saved" in text_of(frame)

    async with bot.router.sessions() as session:
        (campaign,) = list(await session.scalars(select(AuditCampaign)))
        person = await session.scalar(
            select(AuditParticipant).where(AuditParticipant.email == STAFF)
        )
        invites = await session.scalar(
            select(func.count()).select_from(AuditMessage).where(AuditMessage.kind == "invite")
        )
    assert campaign.academic_year == "2026-27"
    staff = [p for p in bot.school.people if not p.governor_only]  # governors are not asked
    assert invites == len(staff)  # each person once, despite two starts
    assert person is not None and person.status == "finished"
    answers = open_answers(bot.cipher, person)
    assert answers["knows_lead"] == "yes" and answers["pupil_concern"] == "no"
    assert answers["pupil_concern_comment"] == "Not sure who to tell out of hours."
    assert b"Not sure" not in (person.answers_enc or b"")  # sealed

    async with bot.router.sessions() as session:
        replies = await bot.router.audits.report(session, campaign, "results")
    shown = json.dumps([r.__dict__ for r in replies], default=str)
    assert "Not sure who to tell out of hours." in shown

    async with serve(bot) as client:
        csv_path, png_path = (
            f"/api/audit/{campaign.id}/results.csv",
            f"/api/audit/{campaign.id}/chart.png",
        )
        await sign_in(client, STAFF)  # staff may not download what names colleagues
        assert (await client.get(csv_path)).status == 403
        await sign_in(client, DSL)
        got = await client.get(csv_path)
        assert got.status == 200 and "Not sure who to tell" in (await got.read()).decode("utf-8")
        chart = await client.get(png_path)
        assert chart.status == 200 and (await chart.read()).startswith(b"\x89PNG")
    await bot.engine.dispose()
