"""The self-audit in Slack: the workspace's staff (never bots, leavers or guests) are asked once
each, by DM; a member of staff answers with buttons and typed comments; the DSL reads results."""

from __future__ import annotations

import csv
import io
import logging

import pytest
from PIL import Image
from sqlalchemy import select

from bot.audit.questions import open_answers
from bot.channels.slack.identity import workspace_staff
from storage.models import AuditParticipant, Event
from tests.slack.conftest import DSL, PEOPLE, STAFF
from tests.slack.filing import answer, until
from tests.slack.manifest import bot_scopes, load_manifest, scopes_needed_for
from tests.slack.world import SlackWorld, text_of

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

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
DM_OF_DSL = "D" + DSL  # the fake's conversations.open, and the DM events' channel


def said(world: SlackWorld, user: str, last: int = 2) -> str:
    return " ".join(text_of(m) for m in world.api.posts_to(user)[-last:])


async def participants(world: SlackWorld) -> list[AuditParticipant]:
    async with world.bot.router.sessions() as session:
        return list(await session.scalars(select(AuditParticipant)))


async def test_a_whole_audit_in_slack(world: SlackWorld):
    await world.dm(DSL, "audit start")
    await world.until("the answer to audit start", lambda: said(world, DSL))
    assert "self-audit has started" in said(world, DSL)
    asked = {p.email: p.channel for p in await participants(world)}
    assert asked == {email: "slack" for email, _ in PEOPLE.values()}  # no bot, leaver or guest

    assert world.bot.audit is not None
    await world.bot.audit.sender.run_until_idle()
    await world.bot.audit.sender.run_until_idle()  # again: nobody gets a second invitation
    await world.settle()
    invitations = [m for m in world.api.posts_to(STAFF) if "audit:start:" in text_of(m)]
    assert len(invitations) == 1 and "Online safety self-audit 2026-27" in text_of(invitations[0])
    button = next(
        e["value"]
        for b in invitations[0]["blocks"]
        for e in b.get("elements", [])
        if str(e.get("value", "")).startswith("audit:start:")
    )

    await world.click(STAFF, button, message=invitations[0])
    await world.settle()
    assert "lead responsibility for online safety" in text_of(world.api.posts_to(STAFF)[-1])
    await world.dm(STAFF, "maybe")  # not a yes or a no: asked again, nothing lost
    await world.settle()
    assert "lead responsibility for online safety" in text_of(world.api.posts_to(STAFF)[-1])
    for step in QUESTIONS:
        await answer(world, STAFF, "no" if step == "filtering_role" else "yes")
        await answer(
            world, STAFF, "Not sure what my part is." if step == "filtering_role" else "__skip"
        )
    await world.dm(STAFF, "Spotting grooming in online games.")
    await world.settle()
    await answer(world, STAFF, "__submit")
    assert "your self-audit answers are saved" in said(world, STAFF)

    (person,) = [p for p in await participants(world) if p.email == PEOPLE[STAFF][0]]
    answers = open_answers(world.bot.cipher, person)
    assert person.status == "finished" and answers["filtering_role"] == "no"
    assert answers["training_needs"] == "Spotting grooming in online games."

    await world.dm(DSL, "audit results")
    await world.settle()
    results = said(world, DSL, 4)
    assert "Not sure what my part is." in results and "Tom Brannigan" in results
    assert "/api/audit/" not in " ".join(map(text_of, world.api.posts_to(DSL)))  # no dead links
    # The chart and the CSV arrived as files in the DSL's DM, right after the results card.
    chart, sheet = world.api.files_in(DM_OF_DSL)
    image = Image.open(io.BytesIO(chart.data or b""))
    assert image.format == "PNG" and image.size == (1200, 80 * len(QUESTIONS) + 200)
    assert (chart.filename, chart.title) == (
        "online-safety-audit-2026-27.png",
        "Chart: staff online-safety self-audit 2026-27",
    )
    assert chart.alt_txt and chart.alt_txt.startswith("Bar chart")
    rows = list(csv.reader(io.StringIO((sheet.data or b"").decode("utf-8-sig"))))
    assert sheet.filename == "online-safety-audit-2026-27.csv" and sheet.alt_txt is None
    assert ["Tom Brannigan", PEOPLE[STAFF][0]] == rows[1][:2]
    assert any(row[-1] == "Not sure what my part is." for row in rows)
    completed = world.api.called("files.completeUploadExternal")
    assert [c.args["channel_id"] for c in completed] == [DM_OF_DSL, DM_OF_DSL]
    to_dsl = [
        "file" if c.method == "files.completeUploadExternal" else text_of(c.args)
        for c in world.api.calls
        if c.method == "files.completeUploadExternal"
        or (c.method == "chat.postMessage" and c.args["channel"] == DM_OF_DSL)
    ]
    at = next(i for i, shown in enumerate(to_dsl) if "results so far" in shown)
    assert to_dsl[at + 1 : at + 3] == ["file", "file"] and "Training needs" in to_dsl[at + 3]

    # The governors' summary carries the chart (numbers only), never the CSV.
    await world.dm(DSL, "audit summary")
    await world.settle()
    assert "summary so far, for governors" in said(world, DSL, 3)
    shared = world.api.files_in(DM_OF_DSL)
    assert len(shared) == 3 and shared[-1].filename.endswith(".png")
    assert shared[-1].data == chart.data

    # Staff who are not the DSL, a deputy or the head are refused, and get no file.
    for verb in ("results", "summary"):
        await world.dm(STAFF, f"audit {verb}")
        await world.settle()
        assert "Only the DSL and deputies" in said(world, STAFF, 2)
    assert world.api.files_in("D" + STAFF) == [] and len(world.api.uploads) == 3

    methods = {c.method for c in world.api.calls}  # users.list included: the manifest has it
    assert "users.list" in methods and "files.getUploadURLExternal" in methods
    assert scopes_needed_for(methods) <= bot_scopes(load_manifest())
    async with world.bot.router.sessions() as session:
        shown = list(
            await session.scalars(select(Event).where(Event.kind == "audit_results_shown"))
        )
    assert [(e.actor_email, e.detail["view"], e.detail["files"]) for e in shown] == [
        (PEOPLE[DSL][0], "results", [chart.filename, sheet.filename]),
        (PEOPLE[DSL][0], "summary", [chart.filename]),
    ]


@pytest.mark.parametrize("failure", ["refused", "upload_url_failed", "rate_limited"])
async def test_a_failed_upload_is_said_and_nothing_else_is_lost(
    world: SlackWorld, failure: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)  # slack-sdk's own request logging too
    await world.dm(DSL, "audit start")
    await world.settle()
    if failure == "refused":  # the chart's upload is refused; the CSV's goes through
        world.api.refuse_next["files.getUploadURLExternal"] = "file_uploads_disabled"
    elif failure == "upload_url_failed":
        world.api.upload_refusals.append(500)
    else:  # 429 each time: slack-sdk waits (Retry-After) and retries twice, then gives up
        world.api.fail_next["files.completeUploadExternal"] = 3
    await world.dm(DSL, "audit results")
    await until(lambda: "did not arrive" in said(world, DSL, 1))
    posted = [text_of(m) for m in world.api.posts_to(DSL)]
    assert "Chart: staff online-safety self-audit 2026-27" in posted[-1]
    assert "Everything else above is complete" in posted[-1]
    # Every card still came: the counts, the training needs, the comments and the menu.
    everything = " ".join(posted)
    for part in ("results so far", "Training needs", "Nobody added a comment", "Open cases"):
        assert part in everything
    # Only the chart failed (each failure is for the next call only): the CSV still came, and
    # the message names the chart alone.
    assert [u.filename for u in world.api.files_in(DM_OF_DSL)] == [
        "online-safety-audit-2026-27.csv"
    ]
    assert "Everyone" not in posted[-1]
    # Nothing logged on the way, slack-sdk's debug lines included, holds a file's contents.
    assert "Slack file upload" in caplog.text
    for contents in ("Finished on", "Question number", "IHDR", "\\x89PNG", "iVBORw0KGgo"):
        assert contents not in caplog.text


async def test_a_user_group_limits_who_is_asked(world: SlackWorld):
    world.api.groups["S0STAFF"] = [STAFF, DSL]
    assert world.bot.slack is not None
    members = await workspace_staff(world.bot.slack.client, user_group="S0STAFF")
    assert sorted(u.email for u in members) == sorted([PEOPLE[STAFF][0], PEOPLE[DSL][0]])
    everyone = await workspace_staff(world.bot.slack.client)
    assert {u.email for u in everyone} == {email for email, _ in PEOPLE.values()}
    assert len(world.api.called("users.list")) >= 2
