"""Exporting a case's chronology in Slack: "View" shows the chronology with an "Export the
chronology" button and sends no file; pressing it uploads the CSV into the DSL's DM, through
Slack's external upload flow on the fake Web API, and records the export. Someone who may not
view the case is refused, and nothing is uploaded."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from bot.cases.export import chronology_record, to_csv
from storage.models import Event, Report
from tests.slack.conftest import DSL, PEOPLE, STAFF
from tests.slack.filing import file_concern, reports, until
from tests.slack.world import SlackWorld, text_of

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

WRITTEN = "Name-calling in the class group chat, then a threat."
DM_OF_DSL = "D" + DSL


async def events(world: SlackWorld, kind: str) -> list[Event]:
    async with world.bot.router.sessions() as session:
        return list(await session.scalars(select(Event).where(Event.kind == kind)))


async def viewed_case(world: SlackWorld) -> int:
    """A concern, filed by a member of staff, that the DSL has opened with "View"."""
    await file_concern(world, WRITTEN)
    (report,) = await reports(world)
    await world.click(DSL, f"case:view:{report.id}")
    await world.settle()
    return report.id


async def expected_csv(world: SlackWorld, case: int) -> bytes:
    """The chronology as it stands, made for the DSL now (the clock is the test's)."""
    router = world.bot.router
    async with router.sessions() as session:
        report = await session.get(Report, case)
        assert report is not None
        record = await chronology_record(
            session,
            desk=router.desk,
            cards=router.cases.cards,
            report=report,
            exported_by=PEOPLE[DSL][0],
            now=router.clock(),
        )
    return to_csv(record)


async def test_view_sends_no_file_and_the_button_uploads_exactly_the_csv(world: SlackWorld):
    case = await viewed_case(world)
    history = world.newest_with(DSL, f"case:export:{case}")
    assert "Chronology" in text_of(history) and "Export the chronology" in text_of(history)
    assert "/api/web/cases/" not in text_of(history)  # no dead-end path any more
    assert world.api.uploads == {} and world.api.called("files.getUploadURLExternal") == []
    assert await events(world, "exported") == []  # viewing is not exporting

    await world.click(DSL, f"case:export:{case}", message=history)
    await world.settle()

    (sheet,) = world.api.files_in(DM_OF_DSL)
    (report,) = await reports(world)
    assert sheet.filename == f"{report.reference}-chronology.csv" and sheet.alt_txt is None
    assert sheet.title == f"Chronology of {report.reference} (CSV)"
    assert sheet.data == await expected_csv(world, case)  # the record, byte for byte
    table = list(csv.reader(io.StringIO((sheet.data or b"").decode("utf-8-sig"))))
    assert table[0] == ["Confidential: safeguarding record"]
    assert ["Reference", report.reference] in table
    assert any(WRITTEN in row for row in table)
    assert table[-1][1:] == [
        "Alice Hartley (a.hartley@example.org)",
        "Exported the chronology",
        "Format: CSV",
    ]  # recorded before it was read, as the web chat's download is: it lists its own export
    (exported,) = await events(world, "exported")
    assert (exported.actor_email, exported.report_id) == (PEOPLE[DSL][0], case)
    assert exported.detail == {"format": "csv", "channel": "slack"}
    # The card says what the file is, then the file follows it.
    to_dsl = [
        "file" if c.method == "files.completeUploadExternal" else text_of(c.args)
        for c in world.api.calls
        if c.method == "files.completeUploadExternal"
        or (c.method == "chat.postMessage" and c.args["channel"] == DM_OF_DSL)
    ]
    at = next(i for i, shown in enumerate(to_dsl) if f"Export of {report.reference}" in shown)
    assert to_dsl[at + 1 :] == ["file"]


async def test_a_forged_export_click_is_refused_and_nothing_is_uploaded(world: SlackWorld):
    case = await viewed_case(world)
    history = world.newest_with(DSL, f"case:export:{case}")
    forged = dict(history, channel="D" + STAFF)  # the DSL's button, pressed as the reporter
    await world.click(STAFF, f"case:export:{case}", message=forged)
    await world.settle()
    assert "Only the DSL" in text_of(world.api.posts_to(STAFF)[-1])
    assert world.api.uploads == {} and world.api.called("files.getUploadURLExternal") == []
    assert await events(world, "exported") == []
    refused = [e for e in await events(world, "refused") if e.actor_email == PEOPLE[STAFF][0]]
    assert [(e.report_id, e.detail) for e in refused] == [(case, {"action": "export"})]


async def test_a_failed_upload_is_said_clearly(world: SlackWorld):
    case = await viewed_case(world)
    world.api.refuse_next["files.getUploadURLExternal"] = "file_uploads_disabled"
    await world.click(DSL, f"case:export:{case}")
    await until(lambda: "did not arrive" in text_of(world.api.posts_to(DSL)[-1]))
    (report,) = await reports(world)
    said = text_of(world.api.posts_to(DSL)[-1])
    assert f"Chronology of {report.reference} (CSV)" in said and "Ask again" in said
    assert world.api.files_in(DM_OF_DSL) == []
