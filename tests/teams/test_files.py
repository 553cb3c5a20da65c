"""The self-audit's CSV reaches the DSL in Teams through the file consent flow: "audit results"
offers it with a file consent card; Allow makes it afresh, checks who is asking, PUTs it to the
OneDrive upload URL Teams gave and shows it with a file info card; Decline, a refusal, a failed
upload or a campaign that is gone each get a clear word and no file.

The fake OneDrive is a small aiohttp app on loopback that records each PUT, headers and bytes.
The cards' shapes are Microsoft's ("Send and receive files using bot", learn.microsoft.com/
microsoftteams/platform/bots/how-to/bots-filesv4), written out here, not imported: a file
consent card {contentType, name, content {description, sizeInBytes, acceptContext,
declineContext}}, a file info card {contentType, contentUrl, name, content {uniqueId,
fileType}}; they are not Adaptive Cards, so they get these checks rather than the schema's.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from typing import Any

import pytest
from microsoft_agents.activity import Activity
from sqlalchemy import select

from bot.audit.exports import CSV_COLUMNS, results_csv
from bot.audit.present import chart_attachment, csv_attachment
from bot.channels.teams.cards import MESSAGE_BYTES_MAX, json_size
from bot.channels.teams.file_consent import UploadFailed, put_file
from bot.channels.teams.files import consent_activity, info_activity
from bot.channels.teams.parse import UploadInfo
from bot.channels.teams.render import render_turn
from bot.delivery.messages import Attachment, Card, FileSource, Link
from storage.models import Event
from tests.support.audit_results import (
    BOB_COMMENT,
    BOB_REQUEST,
    EMAILS,
    NAMES,
    QUESTIONS,
    results_of,
    seed,
    synthetic,
)
from tests.teams.connector import Sent, text_of
from tests.teams.onedrive import (
    CONSENT,
    CONTENT_URL,
    FILENAME,
    INFO,
    UNIQUE_ID,
    FakeOneDrive,
    answer,
    consent_in,
    onedrive,
)
from tests.teams.world import DSL, HEAD, PEOPLE, STAFF, TeamsWorld

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

__all__ = ["onedrive"]  # the fake OneDrive fixture (tests/teams/onedrive.py)


# --- the cards, on their own --------------------------------------------------------------------


def test_the_consent_card_offers_the_file_by_name_and_size_and_holds_nothing_of_it():
    sheet = csv_attachment(synthetic(finished=5))
    activity = consent_activity(sheet)
    assert activity is not None
    assert set(activity) == {"type", "summary", "attachments"} and activity["type"] == "message"
    assert activity["summary"] == sheet.title
    (attachment,) = activity["attachments"]
    assert set(attachment) == {"contentType", "name", "content"}
    assert (attachment["contentType"], attachment["name"]) == (CONSENT, sheet.filename)
    content = attachment["content"]
    assert set(content) == {"description", "sizeInBytes", "acceptContext", "declineContext"}
    assert content["sizeInBytes"] == len(sheet.data) and type(content["sizeInBytes"]) is int
    assert content["description"].startswith(sheet.title)
    assert "OneDrive" in content["description"]
    assert sheet.source is not None
    context = {"os": 1, "file": "audit_csv", "id": sheet.source.id}
    assert content["acceptContext"] == content["declineContext"] == context
    assert json_size(activity) <= MESSAGE_BYTES_MAX
    dumped = Activity.model_validate(activity).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    assert dumped["attachments"] == activity["attachments"]  # the SDK keeps it whole


def test_only_a_file_that_can_be_made_again_is_offered():
    results = synthetic(finished=5)
    assert consent_activity(chart_attachment(results)) is None  # a picture: shown, not offered
    unsourced = Attachment(
        "notes.csv", "text/csv", b"a,b", "Notes", link=Link("The notes", "/api/notes.csv")
    )
    assert consent_activity(unsourced) is None
    (activity,) = render_turn([Card("c", "A card", attachments=(unsourced,))], files=True)
    assert "The notes: /api/notes.csv" in str(activity)  # its link, as text, as before
    picture = Attachment("x.png", "image/png", b"png", "X", source=FileSource("audit_csv", 1))
    assert consent_activity(picture) is None


def test_the_info_card_shows_the_saved_file():
    upload = UploadInfo("https://upload.example/x", CONTENT_URL, FILENAME, UNIQUE_ID, "csv")
    activity = info_activity(upload)
    (attachment,) = activity["attachments"]
    assert attachment == {
        "contentType": INFO,
        "contentUrl": CONTENT_URL,
        "name": FILENAME,
        "content": {"uniqueId": UNIQUE_ID, "fileType": "csv"},
    }
    assert "upload.example" not in json.dumps(activity)  # the upload URL stays with the bot
    dumped = Activity.model_validate(activity).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    assert dumped["attachments"] == activity["attachments"]


@pytest.mark.parametrize(
    "url",
    [
        "http://onedrive.example/upload/1",  # cleartext beyond loopback: the file names people
        "ftp://127.0.0.1/upload/1",
        "file:///etc/passwd",
        "https:///no-host",
        "not a url",
    ],
)
async def test_the_file_goes_only_to_https_or_loopback(url: str):
    with pytest.raises(UploadFailed, match="not https"):
        await put_file(url, b"Name\r\n", seconds=1.0)


# --- through the real adapter, with a fake OneDrive -----------------------------------------------


@pytest.fixture
def world(files_world: TeamsWorld) -> TeamsWorld:
    """These tests' world sends files (conftest's files_world)."""
    return files_world


async def offered(world: TeamsWorld, user: str = DSL) -> tuple[Sent, dict[str, Any]]:
    """Type "audit results"; the message with the file consent card, and that card."""
    before = len(world.sent_to(user))
    await world.say(user, "audit results")
    found = [(s, c) for s in world.sent_to(user)[before:] if (c := consent_in(s.body))]
    assert len(found) == 1, [text_of(s.body)[:200] for s in world.sent_to(user)[before:]]
    return found[0]


async def exports(world: TeamsWorld) -> list[Event]:
    async with world.bot.router.sessions() as session:
        return list(await session.scalars(select(Event).where(Event.kind == "audit_exported")))


async def expected_csv(world: TeamsWorld, campaign_id: int) -> bytes:
    found = await results_of(world.bot, campaign_id)
    return results_csv(found, tz=world.bot.router.school.tz).encode("utf-8")


async def test_allow_saves_exactly_the_csv_to_the_dsls_onedrive(
    world: TeamsWorld, onedrive: tuple[FakeOneDrive, str]
):
    fake, upload_url = onedrive
    campaign_id = await seed(world.bot)
    offer, card = await offered(world)
    data = await expected_csv(world, campaign_id)
    shown = " ".join(world.texts_to(DSL))
    assert f"/api/audit/{campaign_id}/results.csv" not in shown  # no dead-end link any more
    assert (card["name"], card["content"]["sizeInBytes"]) == (FILENAME, len(data))
    context = card["content"]["acceptContext"]
    assert context == {"os": 1, "file": "audit_csv", "id": campaign_id}
    offer_text = json.dumps(offer.body)
    for secret in (*NAMES, *EMAILS, BOB_COMMENT, BOB_REQUEST):
        assert secret not in offer_text  # the card says what the file is, not what it holds
    assert fake.puts == []  # nothing leaves before the DSL allows it

    response = await answer(world, DSL, offer, "accept", upload_url)
    assert response.status == 200

    (put,) = fake.puts
    assert put.path == "/upload/5d0e6f7a?tempauth=SECRET-TEMPAUTH"
    assert put.body == data  # made afresh from the database: the same answers, byte for byte
    size = len(data)
    assert put.headers["Content-Length"] == str(size)
    assert put.headers["Content-Range"] == f"bytes 0-{size - 1}/{size}"
    assert "Authorization" not in put.headers  # the upload URL is pre-authorised
    rows = list(csv.reader(io.StringIO(put.body.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    numbers: dict[str, list[str]] = {}
    for row in rows[1:]:
        numbers.setdefault(row[0], []).append(row[3])
    assert list(numbers) == ["Alice Able", "Bob Brown", "Cara Cole"]  # the finished only
    assert all(n == [str(q) for q in range(1, len(QUESTIONS) + 2)] for n in numbers.values())

    (attachment,) = world.sent_to(DSL)[-1].body["attachments"]
    assert attachment == {
        "contentType": INFO,
        "contentUrl": CONTENT_URL,
        "name": FILENAME,
        "content": {"uniqueId": UNIQUE_ID, "fileType": "csv"},
    }
    (event,) = await exports(world)
    assert event.actor_email == PEOPLE[DSL][0]
    assert event.detail == {"campaign_id": campaign_id, "file": "results.csv", "channel": "teams"}


async def test_the_headteacher_may_have_it_too(
    world: TeamsWorld, onedrive: tuple[FakeOneDrive, str]
):
    fake, upload_url = onedrive
    campaign_id = await seed(world.bot)
    offer, _ = await offered(world, HEAD)
    assert (await answer(world, HEAD, offer, "accept", upload_url)).status == 200
    assert [p.body for p in fake.puts] == [await expected_csv(world, campaign_id)]
    assert [e.actor_email for e in await exports(world)] == [PEOPLE[HEAD][0]]


async def test_decline_sends_nothing_and_says_how_to_get_it_again(
    world: TeamsWorld, onedrive: tuple[FakeOneDrive, str]
):
    fake, upload_url = onedrive
    await seed(world.bot)
    offer, _ = await offered(world)
    before = len(world.sent_to(DSL))
    response = await answer(world, DSL, offer, "decline", upload_url)
    assert response.status == 200
    assert fake.puts == [] and await exports(world) == []
    (said,) = world.texts_to(DSL)[before:]
    assert "the file was not sent" in said and "audit results" in said


async def test_an_allow_from_someone_not_allowed_is_refused_and_nothing_is_sent(
    world: TeamsWorld, onedrive: tuple[FakeOneDrive, str], caplog: pytest.LogCaptureFixture
):
    fake, upload_url = onedrive
    await seed(world.bot)
    offer, _ = await offered(world)  # the DSL's card...
    before = len(world.sent_to(STAFF))
    # ...its context sent by a member of staff, as if theirs: the context is never trusted.
    response = await answer(world, STAFF, offer, "accept", upload_url)
    assert response.status == 200
    assert fake.puts == [] and await exports(world) == []
    (said,) = world.texts_to(STAFF)[before:]
    assert "Only the DSL, deputies and headteacher" in said and "nothing" in said
    assert INFO not in said
    assert "file consent refused" in caplog.text


@pytest.mark.parametrize("failure", ["500", "timeout"])
async def test_a_failed_upload_is_said_clearly_and_logged_without_the_file(
    world: TeamsWorld,
    onedrive: tuple[FakeOneDrive, str],
    caplog: pytest.LogCaptureFixture,
    failure: str,
):
    caplog.set_level(logging.DEBUG)
    fake, upload_url = onedrive
    await seed(world.bot)
    assert world.bot.teams is not None
    if failure == "500":
        fake.status = 500
    else:
        fake.delay = 2.0
        world.bot.teams.files.timeout = 0.3
    offer, _ = await offered(world)
    before = len(world.sent_to(DSL))
    response = await answer(world, DSL, offer, "accept", upload_url)
    assert response.status == 200
    assert len(fake.puts) == 1 and await exports(world) == []  # tried once; nothing recorded
    (said,) = world.texts_to(DSL)[before:]
    assert "could not be saved to your OneDrive" in said and "ask again" in said
    assert INFO not in said
    reason = "OneDrive answered 500" if failure == "500" else "TimeoutError"
    assert f"Teams file upload to OneDrive failed: {reason}" in caplog.text
    # What the bot, the SDK and the HTTP client logged (not the fakes' access logs, nor the
    # database driver's, which echo the test's own seeding).
    ours = ("bot", "microsoft_agents", "aiohttp.client")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(ours))
    for secret in ("SECRET-TEMPAUTH", "5d0e6f7a", FILENAME, *NAMES, BOB_COMMENT):
        assert secret not in logged


async def test_a_campaign_that_is_gone_is_said_clearly_and_nothing_is_sent(
    world: TeamsWorld, onedrive: tuple[FakeOneDrive, str]
):
    fake, upload_url = onedrive
    campaign_id = await seed(world.bot)
    offer, _ = await offered(world)
    for context in (
        {"os": 1, "file": "audit_csv", "id": campaign_id + 1000},
        {"os": 1, "file": "something_else", "id": campaign_id},
    ):
        before = len(world.sent_to(DSL))
        response = await answer(world, DSL, offer, "accept", upload_url, context=context)
        assert response.status == 200
        (said,) = world.texts_to(DSL)[before:]
        assert "can no longer be made" in said and "nothing was saved" in said
    assert fake.puts == [] and await exports(world) == []
