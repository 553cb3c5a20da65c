"""Exporting a case's chronology in Teams: "View" shows the chronology with an "Export the
chronology" button and offers no file; pressing it offers the CSV with a file consent card
(TEAMS_FILES on), whose context names the case by id only; Allow checks on the server that the
person may still view the case, makes the CSV afresh, PUTs it to the (fake) OneDrive, records
the export and shows the file. A forged Allow is refused and recorded. With files off, the card
says why the file is not there."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from bot.cases.export import chronology_record, to_csv
from storage.models import Event, Report
from tests.teams.concerns import file_concern, install_for_handlers, reports
from tests.teams.connector import Sent, text_of
from tests.teams.onedrive import INFO, FakeOneDrive, answer, consent_in, onedrive
from tests.teams.world import DSL, PEOPLE, STAFF, TeamsWorld, settle

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

__all__ = ["onedrive"]  # the fake OneDrive fixture, shared with the self-audit's file tests
PUPIL_TEXT = "Ottoline said Zebedee sent the photo to the whole class."


async def events(world: TeamsWorld, kind: str) -> list[Event]:
    async with world.bot.router.sessions() as session:
        return list(await session.scalars(select(Event).where(Event.kind == kind)))


async def viewed_case(world: TeamsWorld) -> Report:
    """A concern a member of staff filed, that the DSL has opened with "View"."""
    await install_for_handlers(world)
    await file_concern(world, PUPIL_TEXT)
    await settle(world)
    (report,) = await reports(world)
    await world.click(DSL, f"case:view:{report.id}")
    return report


async def pressed_export(world: TeamsWorld, report: Report) -> list[Sent]:
    """Press "Export the chronology" on the chronology card; what the DSL was sent."""
    before = len(world.sent_to(DSL))
    response = await world.click(DSL, f"case:export:{report.id}")
    assert response.status in (200, 201, 202)
    return world.sent_to(DSL)[before:]


async def expected_csv(world: TeamsWorld, report: Report) -> bytes:
    """The chronology as it stands, made for the DSL now (the clock is the test's)."""
    router = world.bot.router
    async with router.sessions() as session:
        found = await session.get(Report, report.id)
        assert found is not None
        record = await chronology_record(
            session,
            desk=router.desk,
            cards=router.cases.cards,
            report=found,
            exported_by=PEOPLE[DSL][0],
            now=router.clock(),
        )
    return to_csv(record)


async def test_view_offers_no_file_and_allow_saves_exactly_the_csv(
    files_world: TeamsWorld, onedrive: tuple[FakeOneDrive, str]
):
    world, (fake, upload_url) = files_world, onedrive
    before = len(world.sent_to(DSL))
    report = await viewed_case(world)
    assert not any(consent_in(s.body) for s in world.sent_to(DSL)[before:])  # a view sends none
    history = world.newest_with(DSL, f"case:export:{report.id}")
    assert "Export the chronology" in text_of(history.body)
    assert "/api/web/cases/" not in text_of(history.body)  # no dead-end path any more

    sent = await pressed_export(world, report)
    offers = [(s, card) for s in sent if (card := consent_in(s.body))]
    assert len(offers) == 1, [text_of(s.body)[:200] for s in sent]
    offer, card = offers[0]
    data = await expected_csv(world, report)
    assert card["name"] == f"{report.reference}-chronology.csv"
    assert card["content"]["sizeInBytes"] == len(data)
    context = {"os": 1, "file": "case_chronology", "id": report.id}
    assert card["content"]["acceptContext"] == card["content"]["declineContext"] == context
    offered = json.dumps([s.body for s in sent])
    for secret in ("Ottoline", "Zebedee", "Tom Brannigan", "t.brannigan"):
        assert secret not in offered  # the offer says what the file is, not what it holds
    assert fake.puts == [] and await events(world, "exported") == []  # nothing left yet

    response = await answer(world, DSL, offer, "accept", upload_url)
    assert response.status == 200
    (put,) = fake.puts
    assert put.body == data  # made afresh from the database, for the DSL, byte for byte
    assert "Authorization" not in put.headers
    table = list(csv.reader(io.StringIO(put.body.decode("utf-8-sig"))))
    assert table[0] == ["Confidential: safeguarding record"]
    assert ["Reference", report.reference] in table
    assert any(PUPIL_TEXT in row for row in table)
    (attachment,) = world.sent_to(DSL)[-1].body["attachments"]
    assert attachment["contentType"] == INFO
    (exported,) = await events(world, "exported")  # recorded once the file was saved
    assert (exported.actor_email, exported.report_id) == (PEOPLE[DSL][0], report.id)
    assert exported.detail == {"format": "csv", "channel": "teams"}


async def test_a_forged_allow_is_refused_recorded_and_nothing_is_sent(
    files_world: TeamsWorld, onedrive: tuple[FakeOneDrive, str]
):
    world, (fake, upload_url) = files_world, onedrive
    report = await viewed_case(world)
    sent = await pressed_export(world, report)
    (offer,) = [s for s in sent if consent_in(s.body)]
    before = len(world.sent_to(STAFF))
    # The DSL's offer, answered by the member of staff who reported: the context is not trusted.
    response = await answer(world, STAFF, offer, "accept", upload_url)
    assert response.status == 200
    assert fake.puts == [] and await events(world, "exported") == []
    (said,) = world.texts_to(STAFF)[before:]
    assert "Only the DSL, the deputies and the headteacher" in said and "nothing was saved" in said
    assert INFO not in said and PUPIL_TEXT not in said
    refused = [e for e in await events(world, "refused") if e.actor_email == PEOPLE[STAFF][0]]
    assert [(e.report_id, e.detail) for e in refused] == [(report.id, {"action": "export"})]


async def test_decline_and_a_case_that_is_gone(
    files_world: TeamsWorld, onedrive: tuple[FakeOneDrive, str]
):
    world, (fake, upload_url) = files_world, onedrive
    report = await viewed_case(world)
    (offer,) = [s for s in await pressed_export(world, report) if consent_in(s.body)]
    before = len(world.sent_to(DSL))
    await answer(world, DSL, offer, "decline", upload_url)
    gone = {"os": 1, "file": "case_chronology", "id": report.id + 1000}
    await answer(world, DSL, offer, "accept", upload_url, context=gone)
    declined, missing = world.texts_to(DSL)[before:]
    assert "the file was not sent" in declined and "Export the chronology" in declined
    assert "its case could not be found" in missing and "nothing was saved" in missing
    assert fake.puts == [] and await events(world, "exported") == []


async def test_with_files_off_the_card_says_why_the_file_is_not_there(world: TeamsWorld):
    report = await viewed_case(world)
    sent = await pressed_export(world, report)
    assert not any(consent_in(s.body) for s in sent)
    shown = " ".join(text_of(s.body) for s in sent)
    assert f"Export of {report.reference}" in shown
    assert f"Chronology of {report.reference} (CSV): not sent" in shown and "TEAMS_FILES" in shown
    assert await events(world, "exported") == []  # no file left, so no export is recorded
