"""The filtering checks' spreadsheet and the annual review's files reach a Teams user through
the file consent flow, as the self-audit's CSV does (tests/teams/test_files.py): `checks` offers
the CSV of every check, and the review's completion card (or `filtering review` once it is
complete) offers its PDF and the CSV of its year's checks, each with a file consent card. On
Allow the file is made afresh for whoever pressed it, checked on the server then (the card's
context names a kind and an id, nothing of who may have it), PUT to the OneDrive upload URL
Teams gave, shown with a file info card, and its export recorded with the channel.

The wire format is Microsoft's, "Send and receive files using bot" (learn.microsoft.com/
microsoftteams/platform/bots/how-to/bots-filesv4): a consent card {contentType
"application/vnd.microsoft.teams.card.file.consent", name, content {description, sizeInBytes,
acceptContext, declineContext}}, answered by an invoke "fileConsent/invoke" with value {type
"fileUpload", action "accept" | "decline", context, uploadInfo {contentUrl, name, uploadUrl,
uniqueId, fileType}}; the fake OneDrive (tests/teams/onedrive.py) takes the upload session's
single PUT.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.monitoring import review
from storage.models import Event, FilteringCheck, RefusalTally
from tests.teams.connector import Sent, text_of
from tests.teams.onedrive import INFO, FakeOneDrive, answer, consent_in, onedrive
from tests.teams.world import DSL, HEAD, PEOPLE, STAFF, TeamsWorld

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

__all__ = ["onedrive"]  # the fake OneDrive fixture (tests/teams/onedrive.py)

REVIEW_DAY = datetime(2026, 9, 15, 8, 0, tzinfo=UTC)  # the example school's review day
CHECK_DAYS = (
    datetime(2026, 3, 3, 10, 0, tzinfo=UTC),  # in the review's year
    datetime(2025, 6, 1, 10, 0, tzinfo=UTC),  # the year before: in `checks`, not in the review
)


@pytest.fixture
def world(files_world: TeamsWorld) -> TeamsWorld:
    """These tests' world sends files (conftest's files_world)."""
    return files_world


def email(user: str) -> str:
    return PEOPLE[user][0]


async def seed_checks(world: TeamsWorld) -> None:
    async with world.bot.router.sessions() as session, session.begin():
        for at in CHECK_DAYS:
            results = {"csam": "blocked", "adult": "not_blocked"}
            session.add(
                FilteringCheck(
                    checked_at=at,
                    checked_by="r.adeyemi@example.org",
                    channel="teams",
                    flow_version=1,
                    user_group="pupils",
                    test="testfiltering",
                    results=results,
                    failed=True,
                )
            )


async def completed_review(world: TeamsWorld, clock: Any) -> int:
    """The year's review opened and completed by the DSL (the walk itself is tested elsewhere:
    tests/monitoring/test_review*.py); its year."""
    clock.now = REVIEW_DAY
    bot = world.bot
    async with bot.router.sessions() as session, session.begin():
        found, _ = await review.open_review(
            session, school=bot.school, year=2026, channels=(), now=REVIEW_DAY
        )
        await review.complete(
            session,
            cipher=bot.cipher,
            school=bot.school,
            review=found,
            answers={"checks": "Two checks."},
            email=email(DSL),
            channels=(),
            now=REVIEW_DAY,
        )
    clock.now = REVIEW_DAY + timedelta(days=1)
    return 2026


async def offers_after(world: TeamsWorld, user: str, text: str) -> dict[str, Sent]:
    """Type `text`; the file consent cards that came back, by file kind."""
    before = len(world.sent_to(user))
    await world.say(user, text)
    found: dict[str, Sent] = {}
    for sent in world.sent_to(user)[before:]:
        card = consent_in(sent.body)
        if card is not None:
            found[card["content"]["acceptContext"]["file"]] = sent
    return found


async def events(world: TeamsWorld, kind: str) -> list[Event]:
    async with world.bot.router.sessions() as session:
        return list(await session.scalars(select(Event).where(Event.kind == kind)))


async def refused(world: TeamsWorld) -> set[str]:
    async with world.bot.router.sessions() as session:
        found = set(await session.scalars(select(Event.actor_email).where(Event.kind == "refused")))
        return found | set(await session.scalars(select(RefusalTally.actor_email)))


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


async def test_checks_offers_every_check_and_allow_saves_it(
    world: TeamsWorld, onedrive: tuple[FakeOneDrive, str]
) -> None:
    fake, upload_url = onedrive
    await seed_checks(world)
    offers = await offers_after(world, DSL, "checks")
    assert set(offers) == {"checks_csv"}
    card = consent_in(offers["checks_csv"].body)
    assert card is not None
    assert card["content"]["acceptContext"] == {"os": 1, "file": "checks_csv", "id": 0}
    assert card["name"].startswith("filtering-checks-") and card["name"].endswith(".csv")
    assert "/api/web/checks.csv" not in " ".join(world.texts_to(DSL))  # no dead-end link
    assert fake.puts == []  # nothing leaves before Allow
    assert (await answer(world, DSL, offers["checks_csv"], "accept", upload_url)).status == 200
    (put,) = fake.puts
    rows = rows_of(put.body)
    assert rows[0][:3] == ["Date", "Time", "Checked by"]
    assert [row[0] for row in rows[1:]] == ["2025-06-01", "2026-03-03"]
    assert "Not blocked" in rows[1]  # the check flow's words, as `checks` writes them
    (info,) = world.sent_to(DSL)[-1].body["attachments"]
    assert info["contentType"] == INFO
    (event,) = await events(world, "filtering_checks_exported")
    assert event.actor_email == email(DSL)
    assert event.detail["channel"] == "teams" and event.detail["checks"] == 2


async def test_an_allow_of_the_checks_by_someone_not_allowed_sends_nothing(
    world: TeamsWorld, onedrive: tuple[FakeOneDrive, str]
) -> None:
    fake, upload_url = onedrive
    await seed_checks(world)
    offers = await offers_after(world, DSL, "checks")
    before = len(world.sent_to(STAFF))
    # The DSL's card, its context sent by a member of staff: who may have it is decided now.
    assert (await answer(world, STAFF, offers["checks_csv"], "accept", upload_url)).status == 200
    assert fake.puts == [] and await events(world, "filtering_checks_exported") == []
    (said,) = world.texts_to(STAFF)[before:]
    assert "Only the ICT lead, the DSL" in said and "nothing was saved" in said
    assert email(STAFF) in await refused(world)


async def test_the_review_offers_its_pdf_and_its_years_checks(
    world: TeamsWorld, onedrive: tuple[FakeOneDrive, str], clock: Any
) -> None:
    fake, upload_url = onedrive
    await seed_checks(world)
    year = await completed_review(world, clock)
    offers = await offers_after(world, DSL, "filtering review")
    assert set(offers) == {"review_pdf", "review_checks_csv"}
    for kind, sent in offers.items():
        card = consent_in(sent.body)
        assert card is not None
        assert card["content"]["acceptContext"] == {"os": 1, "file": kind, "id": year}
    # The senior leader (the headteacher here) allows both.
    for kind in ("review_pdf", "review_checks_csv"):
        response = await answer(world, HEAD, offers[kind], "accept", upload_url)
        assert response.status == 200
    pdf, sheet = fake.puts
    assert pdf.body.startswith(b"%PDF-") and pdf.body.rstrip().endswith(b"%%EOF")
    assert [row[0] for row in rows_of(sheet.body)[1:]] == ["2026-03-03"]  # the year's only
    exported = [(e.actor_email, e.detail) for e in await events(world, "filtering_review_exported")]
    assert exported == [
        (email(HEAD), {"year": year, "file": "review.pdf", "channel": "teams"}),
        (email(HEAD), {"year": year, "file": "checks.csv", "channel": "teams"}),
    ]


async def test_the_reviews_files_are_refused_to_others_and_gone_for_a_year_without_one(
    world: TeamsWorld, onedrive: tuple[FakeOneDrive, str], clock: Any
) -> None:
    fake, upload_url = onedrive
    year = await completed_review(world, clock)
    offers = await offers_after(world, DSL, "filtering review")
    before = len(world.sent_to(STAFF))
    assert (await answer(world, STAFF, offers["review_pdf"], "accept", upload_url)).status == 200
    (said,) = world.texts_to(STAFF)[before:]
    assert "Only the senior leader and the governor responsible" in said
    assert email(STAFF) in await refused(world)
    before = len(world.sent_to(DSL))
    other_year = {"os": 1, "file": "review_pdf", "id": year - 3}
    response = await answer(world, DSL, offers["review_pdf"], "accept", upload_url, other_year)
    assert response.status == 200
    (said,) = world.texts_to(DSL)[before:]
    assert "can no longer be made" in said and "no review for that year" in said
    before = len(world.sent_to(DSL))
    assert (await answer(world, DSL, offers["review_pdf"], "decline", upload_url)).status == 200
    (said,) = world.texts_to(DSL)[before:]
    assert "the file was not sent" in said and "filtering review" in said
    assert fake.puts == [] and await events(world, "filtering_review_exported") == []
    assert INFO not in " ".join(text_of(s.body) for s in world.sent_to(DSL)[before:])
