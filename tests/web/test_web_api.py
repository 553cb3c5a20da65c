"""The web chat over real HTTP and a real websocket on loopback: health, sign-in and the chat.

Everything that touches storage runs on both databases (`make_bot`); pure HTTP checks use SQLite.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from unittest import mock

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from sqlalchemy import select, text

from bot.app import Bot, build_bot, prepare_storage
from bot.channels.web import auth
from bot.delivery.messages import Notice
from bot.health import add_health_routes
from storage.models import Conversation
from tests.support.clock import FakeClock
from tests.support.reports import all_reports, answers_of, only_report
from tests.web.chat import (
    DSL,
    EXAMPLE_CONFIG,
    REFERENCE,
    STAFF,
    asked,
    assert_friendly,
    items,
    notices,
    open_chat,
    serve,
    sign_in,
    step_of,
    web_settings,
)

# --------------------------------------------------------------------------- helpers


@pytest.fixture
async def sqlite_bot(sqlite_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Bot]:
    """A bot on a fresh, migrated SQLite database, for checks that only speak HTTP."""
    bot = build_bot(web_settings(sqlite_url, tmp_path), clock=clock)
    await prepare_storage(bot)
    yield bot
    await bot.engine.dispose()


async def draft_of(bot: Bot, email: str = STAFF) -> dict[str, Any]:
    """The web conversation's stored dialog state, decrypted."""
    async with bot.router.sessions() as session:
        row = await session.scalar(
            select(Conversation).where(
                Conversation.channel == "web", Conversation.conversation_key == email
            )
        )
    assert row is not None and row.state_enc is not None, "no stored conversation"
    dialog: dict[str, Any] | None = bot.cipher.open(row, "state_enc")["dialog"]
    assert dialog is not None, "no draft under way"
    return dialog


# --------------------------------------------------------------------------- health


async def test_healthz(sqlite_bot: Bot) -> None:
    async with serve(sqlite_bot) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


async def test_readyz_with_current_migrations(make_bot: Any) -> None:
    bot = await make_bot()
    async with serve(bot) as client:
        response = await client.get("/readyz")
        assert response.status == 200
        body = await response.json()
        assert body == {"status": "ready", "database": "ok", "migrations": "current"}


@pytest.mark.unmigrated
async def test_readyz_on_an_unmigrated_database_is_503(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    # create_app migrates at start-up, so serve only the health routes, as a bot started
    # against a database nobody has migrated yet would see it.
    bot = build_bot(web_settings(database_url, tmp_path), clock=clock)
    app = web.Application()
    add_health_routes(app, bot.engine)
    try:
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/readyz")
            assert response.status == 503
            assert await response.json() == {
                "status": "unavailable",
                "database": "migrations pending",
            }
            assert (await client.get("/healthz")).status == 200
    finally:
        await bot.engine.dispose()


async def test_readyz_turns_503_when_the_migration_record_goes(make_bot: Any) -> None:
    bot = await make_bot()
    async with serve(bot) as client:
        assert (await client.get("/readyz")).status == 200
        async with bot.engine.begin() as connection:
            await connection.execute(text("DROP TABLE alembic_version"))
        response = await client.get("/readyz")
        assert response.status == 503
        assert (await response.json())["database"] == "migrations pending"


async def test_readyz_when_the_database_cannot_be_opened_is_503(
    tmp_path: Path, clock: FakeClock
) -> None:
    missing = f"sqlite+aiosqlite:///{tmp_path / 'no-such-folder' / 'bot.db'}"
    bot = build_bot(web_settings(missing, tmp_path), clock=clock)
    app = web.Application()
    add_health_routes(app, bot.engine)
    try:
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/readyz")
            assert response.status == 503
            assert (await response.json())["status"] == "unavailable"
            assert "Traceback" not in await response.text()
    finally:
        await bot.engine.dispose()


# --------------------------------------------------------------------------- page and static


async def test_the_page_has_a_content_security_policy(sqlite_bot: Bot) -> None:
    async with serve(sqlite_bot) as client:
        response = await client.get("/")
        assert response.status == 200
        assert response.content_type == "text/html"
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        page = await response.text()
        assert '<script src="/static/app.js"' in page


async def test_static_files_are_served(sqlite_bot: Bot) -> None:
    async with serve(sqlite_bot) as client:
        script = await client.get("/static/app.js")
        assert script.status == 200
        assert "javascript" in script.content_type
        assert "textContent" in await script.text()
        style = await client.get("/static/style.css")
        assert style.status == 200
        assert style.content_type == "text/css"
        assert (await client.get("/static/nothing-here.js")).status == 404


# --------------------------------------------------------------------------- people and sign-in


async def test_people_lists_the_school(sqlite_bot: Bot) -> None:
    async with serve(sqlite_bot) as client:
        response = await client.get("/api/web/people")
        assert response.status == 200
        body = await response.json()
        assert body["school"] == "Example Primary School"
        assert body["login_allowed"] is True
        people = {p["email"]: p for p in body["people"]}
        assert len(people) == len(sqlite_bot.school.people)
        assert people[STAFF] == {"email": STAFF, "name": "Tom Brannigan", "roles": ["staff"]}
        assert people[DSL]["roles"] == ["dsl", "staff"]


async def test_login_sets_an_httponly_cookie_and_me_returns_the_person(sqlite_bot: Bot) -> None:
    async with serve(sqlite_bot) as client:
        assert (await client.get("/api/web/me")).status == 401
        response = await client.post("/api/web/login", json={"email": "T.Brannigan@Example.org "})
        assert response.status == 200
        assert (await response.json())["email"] == STAFF
        cookie = response.cookies[auth.COOKIE]
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Strict"
        assert cookie["path"] == "/"
        assert "HttpOnly" in response.headers["Set-Cookie"]

        me = await client.get("/api/web/me")
        assert me.status == 200
        assert await me.json() == {"email": STAFF, "name": "Tom Brannigan", "roles": ["staff"]}

        assert (await client.post("/api/web/logout")).status == 200
        assert (await client.get("/api/web/me")).status == 401


@pytest.mark.parametrize(
    "body",
    [
        {"email": "nobody@example.org"},
        {"email": ""},
        {"email": 42},
        {"name": "Tom"},
        ["t.brannigan@example.org"],
        "not json at all",
    ],
)
async def test_login_with_an_unknown_person_is_a_friendly_400(sqlite_bot: Bot, body: Any) -> None:
    async with serve(sqlite_bot) as client:
        if isinstance(body, str):
            json_type = {"Content-Type": "application/json"}
            response = await client.post("/api/web/login", data=body, headers=json_type)
        else:
            response = await client.post("/api/web/login", json=body)
        assert response.status == 400
        answer = await response.json()
        assert answer == {"error": "Please choose a person from the list."}
        assert auth.COOKIE not in response.cookies
        assert (await client.get("/api/web/me")).status == 401


class _Transport:
    """Just enough of an asyncio transport for aiohttp to read the peer's address from."""

    def __init__(self, peer: tuple[str, int]) -> None:
        self.peer = peer

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": self.peer, "sockname": ("192.0.2.1", 3978)}.get(name, default)

    def is_closing(self) -> bool:
        return False


def _remote_login(body: bytes, peer: tuple[str, int] = ("192.0.2.10", 5000)) -> web.Request:
    protocol = mock.Mock(_reading_paused=False)
    payload = StreamReader(protocol, 2**16, loop=asyncio.get_running_loop())
    payload.feed_data(body)
    payload.feed_eof()
    return make_mocked_request(
        "POST",
        "/api/web/login",
        headers={"Content-Type": "application/json"},
        transport=_Transport(peer),
        payload=payload,
    )


async def test_login_from_another_machine_is_refused(sqlite_bot: Bot) -> None:
    assert sqlite_bot.web_chat is not None
    request = _remote_login(json.dumps({"email": STAFF}).encode())
    assert request.remote == "192.0.2.10"
    response = await sqlite_bot.web_chat.login(request)
    assert response.status == 403
    assert "127.0.0.1" in json.loads(response.text or "")["error"]
    assert auth.COOKIE not in response.cookies

    people = await sqlite_bot.web_chat.people(_remote_login(b""))
    assert json.loads(people.text or "") == {
        "school": "Example Primary School",
        "login_allowed": False,
        "people": [],
        "login_message": "Demo sign-in only works on this computer (from 127.0.0.1).",
    }


async def test_login_from_loopback_addresses_is_allowed(sqlite_bot: Bot) -> None:
    assert sqlite_bot.web_chat is not None
    for peer in [("127.0.0.1", 5000), ("::1", 5000), ("127.0.0.5", 5000)]:
        request = _remote_login(json.dumps({"email": STAFF}).encode(), peer=peer)
        response = await sqlite_bot.web_chat.login(request)
        assert response.status == 200


async def test_remote_login_works_when_the_setting_allows_it(
    sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    bot = build_bot(web_settings(sqlite_url, tmp_path, web_demo_login_remote=True), clock=clock)
    await prepare_storage(bot)
    try:
        assert bot.web_chat is not None
        response = await bot.web_chat.login(_remote_login(json.dumps({"email": DSL}).encode()))
        assert response.status == 200
        assert json.loads(response.text or "")["email"] == DSL
        assert auth.COOKIE in response.cookies
        people = json.loads((await bot.web_chat.people(_remote_login(b""))).text or "")
        assert people["login_allowed"] is True
        assert len(people["people"]) == len(bot.school.people)
    finally:
        await bot.engine.dispose()


def _forgeries(secret: bytes, genuine: str, now: float) -> dict[str, str]:
    real = base64.urlsafe_b64decode(genuine)
    payload, mac = real[:-32], real[-32:]
    issued, _, token = payload.partition(b"|")
    flipped = bytearray(real)
    flipped[-1] ^= 0x01
    return {
        "garbage": "not-a-token",
        "padding only": "====",
        "non-ascii": "tok\u00e9n",
        "signed with another secret": auth.sign(token.decode(), secret=b"x" * 32, now=now),
        # The real signature, on a payload naming another session.
        "payload changed": _b64(issued + b"|" + auth.new_token().encode() + mac),
        "signature changed": _b64(bytes(flipped)),
        "truncated": _b64(real[:20]),
        "signature only": _b64(mac),
        "expired": auth.sign(token.decode(), secret=secret, now=now - auth.MAX_AGE_SECONDS - 60),
        "no such session": auth.sign(auth.new_token(), secret=secret, now=now),
        "huge": "A" * 100_000,
    }


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


async def test_a_forged_or_tampered_cookie_is_refused(sqlite_bot: Bot, clock: FakeClock) -> None:
    assert sqlite_bot.web_chat is not None
    async with serve(sqlite_bot) as client:
        await sign_in(client)
        genuine = next(c.value for c in client.session.cookie_jar if c.key == auth.COOKIE)
        forgeries = _forgeries(sqlite_bot.web_chat.secret, genuine, clock.now.timestamp())
        for name, token in forgeries.items():
            client.session.cookie_jar.clear()
            client.session.cookie_jar.update_cookies({auth.COOKIE: token})
            me = await client.get("/api/web/me")
            assert me.status == 401, name
            assert await me.json() == {"error": "Not signed in."}
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await client.ws_connect("/api/web/ws")
            assert refused.value.status == 401, name
        # And the genuine article still works, so the checks above are not vacuous.
        client.session.cookie_jar.clear()
        client.session.cookie_jar.update_cookies({auth.COOKIE: genuine})
        assert (await client.get("/api/web/me")).status == 200


# --------------------------------------------------------------------------- the websocket


@pytest.mark.one_database  # the channel, not the storage beneath it
async def test_the_websocket_says_hello_then_shows_the_menu(make_bot: Any) -> None:
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (_chat, hello, first):
            assert hello == {
                "type": "hello",
                "user": {"email": STAFF, "name": "Tom Brannigan", "roles": ["staff"]},
            }
            assert first["type"] == "messages"
            assert first["reply_to"] is None
            menu = asked(first)
            assert menu["input"] == "menu"
            assert menu["text"] == "Hello Tom. What would you like to do?"
            values = [o["value"] for o in menu["options"]]
            assert values == ["start:concern", "start:filtering", "__mine", "help"]


async def test_the_websocket_refuses_a_visitor_who_has_not_signed_in(sqlite_bot: Bot) -> None:
    async with serve(sqlite_bot) as client:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect("/api/web/ws")
        assert refused.value.status == 401


@pytest.mark.one_database  # the channel, not the storage beneath it
async def test_a_whole_concern_through_the_websocket(make_bot: Any) -> None:
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (chat, _hello, _first):
            frame = await chat.action("start:concern")
            assert notices(frame, "info")[0]["text"].startswith("Thank you for reporting this.")
            assert step_of(frame) == "immediate_danger"
            assert asked(frame)["progress"][0] == 1
            for value, then in [
                ("no", "category"),
                ("image", "image_rules"),
                ("ok", "image_device"),
                ("secured", "device_kept"),
            ]:
                frame = await chat.action(value)
                assert step_of(frame) == then, frame
            frame = await chat.text("Locked in the office; the head has the key.")
            assert step_of(frame) == "image_seen"
            frame = await chat.action("not_seen")
            assert step_of(frame) == "image_indicators"
            assert asked(frame)["input"] == "multi_choice"
            frame = await chat.multi("sextortion", "coercion")
            urgent = " ".join(n["text"] for n in notices(frame, "urgent"))
            assert "not to pay" in urgent  # what to do now, and that the DSL is told at once
            assert "marked URGENT (coercion, blackmail or grooming; sextortion)" in urgent
            assert step_of(frame) == "about_adult"
            frame = await chat.action("no")
            assert step_of(frame) == "pupils"
            frame = await chat.text("AB (Year 5), the pupil in the image")
            assert step_of(frame) == "what_happened"
            frame = await chat.text(
                "AB told me an older pupil asked for more pictures.\nFacts only."
            )
            assert step_of(frame) == "your_concerns"
            frame = await chat.text("skip")
            assert step_of(frame) == "disclosure"
            frame = await chat.action("yes")
            assert step_of(frame) == "child_words"
            frame = await chat.text("He said he'd show everyone")
            assert step_of(frame) == "questions_asked"
            frame = await chat.text("I asked: who is he?")
            assert step_of(frame) == "told_next_steps"
            frame = await chat.action("yes")
            assert step_of(frame) == "child_self_harm"
            frame = await chat.action("no")
            assert step_of(frame) == "safe_home"
            frame = await chat.action("yes")
            assert step_of(frame) == "others_at_risk"
            frame = await chat.action("no")
            assert step_of(frame) == "others_told"
            frame = await chat.text("No one yet.")
            assert step_of(frame) == "happened_at"
            frame = await chat.text("yesterday 15:00")
            assert step_of(frame) == "found_out_at"
            frame = await chat.text("yesterday 16:00")
            assert step_of(frame) == "where"
            frame = await chat.text("Snapchat, https://example.com/profile")
            assert step_of(frame) == "actions_taken"
            frame = await chat.text("Phone switched off and locked in the office")
            assert step_of(frame) == "dsl_told_in_person"
            frame = await chat.action("yes")
            assert step_of(frame) == "reporter_role"
            frame = await chat.text("Class teacher")
            summary = asked(frame)
            assert summary["kind"] == "summary"
            rows = {r["step_id"]: r["value"] for r in summary["rows"]}
            assert rows["happened_at"] == "Mon 23 Nov 2026, 15:00"
            assert rows["where"] == "Snapchat, hxxps://example[.]com/profile"
            assert rows["image_indicators"] == (
                "A child was pressured, tricked, threatened or groomed into it, "
                "Someone is demanding money or more images"
            )
            frame = await chat.action("__submit")
            assert items(frame) == []  # the confirmation comes through the outbox
            receipt = await chat.push()
            assert_friendly(receipt)
            success = notices(receipt, "success")
            assert len(success) == 1
            found = REFERENCE.search(success[0]["text"])
            assert found, success
            assert asked(receipt)["input"] == "menu"  # ready for the next one

        report = await only_report(bot)
        assert report.reference == found.group()
        assert report.status == "submitted"
        assert report.kind == "concern"
        assert report.category == "image"
        assert report.channel == "web"
        assert report.reporter_email == STAFF
        assert (report.urgent, report.urgent_reasons) == (True, ["coercion", "sextortion"])
        answers = await answers_of(bot, report)
        assert answers["image_indicators"] == ["coercion", "sextortion"]
        assert answers["pupils"] == "AB (Year 5), the pupil in the image"
        assert answers["what_happened"].endswith("\nFacts only.")
        assert answers["child_words"] == "He said he'd show everyone"
        assert answers["questions_asked"] == "I asked: who is he?"
        assert answers["found_out_at"] == "2026-11-23T16:00:00+00:00"
        assert answers["happened_at"] == "2026-11-23T15:00:00+00:00"
        assert answers["dsl_told_in_person"] == "yes"


@pytest.mark.one_database  # the channel, not the storage beneath it
async def test_bad_input_gets_a_friendly_answer_and_loses_nothing(make_bot: Any) -> None:
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (chat, _hello, _first):
            frame = await chat.action("start:concern")
            assert step_of(frame) == "immediate_danger"

            # Frames the page would never send: an error frame each, and nothing moves on.
            for bad in [
                "this is not JSON {",
                '["action", "no"]',
                "42",
                json.dumps({"type": "sticker", "id": "s1"}),
                json.dumps({"type": "action", "value": 1, "id": "s2"}),
                json.dumps({"type": "action", "value": ["no"], "id": "s3"}),
                json.dumps({"type": "text", "text": None, "id": "s4"}),
                json.dumps({"type": "multi", "values": "no", "id": "s5"}),
                json.dumps({"type": "multi", "values": [1, 2], "id": "s6"}),
                json.dumps({"type": "action", "value": "no", "id": 7}),
            ]:
                frame = await chat.raw(bad)
                assert frame["type"] == "error", bad
                assert frame["text"].startswith("Sorry"), frame
                assert_friendly(frame)
            assert (await draft_of(bot))["step"] == "immediate_danger"
            assert (await draft_of(bot))["answers"] == {}

            frame = await chat.action("no")
            assert step_of(frame) == "category"

            # A button that is not on this question.
            frame = await chat.action("definitely-not-an-option")
            assert_friendly(frame)
            assert "not one of the options" in notices(frame, "error")[0]["text"]
            assert step_of(frame) == "category"

            frame = await chat.action("content")
            assert step_of(frame) == "content_kind"
            frame = await chat.action("hate")
            assert step_of(frame) == "about_adult"
            frame = await chat.action("no")
            assert step_of(frame) == "pupils"

            # Over-long text: refused, and given back to edit.
            too_long = "AB (Year 5) " + "x" * 500
            frame = await chat.text(too_long)
            assert_friendly(frame)
            error = notices(frame, "error")[0]
            assert "the limit here is 500" in error["text"]
            assert error["restore_text"] == too_long
            assert step_of(frame) == "pupils"

            # Empty text on a required question.
            for empty in ["", "   \n\t "]:
                frame = await chat.text(empty)
                assert_friendly(frame)
                assert "needs an answer" in notices(frame, "error")[0]["text"]
                assert step_of(frame) == "pupils"

            frame = await chat.text("AB (Year 5)")
            assert step_of(frame) == "what_happened"
            frame = await chat.text("Racist memes shared in the class chat.")
            assert step_of(frame) == "your_concerns"
            frame = await chat.text("skip")
            assert step_of(frame) == "disclosure"
            frame = await chat.action("no")
            assert step_of(frame) == "safe_home"
            frame = await chat.action("yes")
            frame = await chat.action("no")
            frame = await chat.text("No one yet.")
            assert step_of(frame) == "happened_at"

            # A date that cannot be read.
            frame = await chat.text("the day after the fête")
            assert_friendly(frame)
            error = notices(frame, "error")[0]
            assert "could not read" in error["text"]
            assert error["restore_text"] == "the day after the fête"
            assert step_of(frame) == "happened_at"

            draft = await draft_of(bot)
            assert draft["step"] == "happened_at"
            assert draft["answers"] == {
                "immediate_danger": "no",
                "category": "content",
                "content_kind": "hate",
                "about_adult": "no",
                "pupils": "AB (Year 5)",
                "what_happened": "Racist memes shared in the class chat.",
                "your_concerns": None,
                "disclosure": "no",
                "safe_home": "yes",
                "others_at_risk": "no",
                "others_told": "No one yet.",
            }

        # Re-connect (a reload, a new tab): the same question, with the answers kept.
        async with open_chat(client) as (chat, _hello, first):
            assert "unfinished report" in notices(first, "info")[0]["text"]
            assert step_of(first) == "happened_at"
            frame = await chat.text("today 09:15")
            assert step_of(frame) == "found_out_at"
            frame = await chat.text("today 09:20")
            assert step_of(frame) == "where"
            frame = await chat.text("Class WhatsApp group")
            frame = await chat.text("Told the class teacher")
            frame = await chat.action("no")
            frame = await chat.text("Midday supervisor")
            assert step_of(frame) == "summary"
            await chat.action("__submit")
            assert REFERENCE.search(notices(await chat.push(), "success")[0]["text"])

        report = await only_report(bot)
        assert report.category == "content"
        assert report.subcategory == "hate"
        answers = await answers_of(bot, report)
        assert answers["pupils"] == "AB (Year 5)"
        assert answers["what_happened"] == "Racist memes shared in the class chat."
        assert answers["happened_at"] == "2026-11-24T09:15:00+00:00"
        assert answers["immediate_danger"] == "no"


async def test_the_same_message_id_is_applied_once(make_bot: Any) -> None:
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (chat, _hello, _first):
            await chat.action("start:concern")
            frame = {"type": "action", "value": "no", "id": "press-1", "token": chat.token}
            first = await chat.send(frame)
            assert first["reply_to"] == "press-1"
            assert step_of(first) == "category"
            again = await chat.send(frame)
            assert again == {"type": "messages", "items": [], "reply_to": "press-1"}
            # Still at the category question: the repeat was not taken as its answer.
            assert (await draft_of(bot))["step"] == "category"
            frame = await chat.action("cyberbullying")
            assert step_of(frame) == "bullying_repeated"
        # The same id from a new tab (a resend after reconnecting) is a duplicate too.
        async with open_chat(client) as (chat, _hello, _first):
            again = await chat.send({"type": "action", "value": "yes", "id": "press-1"})
            assert again["items"] == []
            assert (await draft_of(bot))["step"] == "bullying_repeated"


@pytest.mark.one_database  # the channel, not the storage beneath it
async def test_ids_belong_to_one_person(make_bot: Any) -> None:
    """Two people who happen to send the same client id are both heard."""
    bot = await make_bot()
    async with serve(bot) as staff, serve(bot) as dsl:
        await sign_in(staff, STAFF)
        await sign_in(dsl, DSL)
        async with open_chat(staff) as (one, _, _), open_chat(dsl) as (two, _, _):
            frame = {"type": "action", "value": "start:concern", "id": "same"}
            assert step_of(await one.send(frame)) == "immediate_danger"
            assert step_of(await two.send(frame)) == "immediate_danger"


@pytest.mark.one_database  # the channel, not the storage beneath it
async def test_a_file_is_refused_politely(make_bot: Any) -> None:
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (chat, _hello, _first):
            await chat.action("start:concern")
            frame = await chat.send({"type": "file"})
            assert "can't accept files" in notices(frame, "error")[0]["text"]
            assert step_of(frame) == "immediate_danger"
            await chat.ws.send_bytes(b"\x89PNG\r\n")
            frame = await chat.next()
            assert "can't accept files" in notices(frame, "error")[0]["text"]
            assert step_of(frame) == "immediate_danger"
        assert await all_reports(bot) == []


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("y" * 25_000, id="25000 letters"),
        # 68 KB of UTF-8: more than a websocket message used to be allowed to carry.
        pytest.param("\N{GRINNING FACE}" * 17_000, id="17000 emoji"),
        pytest.param("line\u0001" * 4_000, id="control characters escaped in JSON"),
    ],
)
async def test_text_too_long_for_one_message_is_given_back(make_bot: Any, typed: str) -> None:
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (chat, _hello, _first):
            for value in ["start:concern", "no", "content", "hate", "no"]:
                frame = await chat.action(value)
            assert step_of(frame) == "pupils"
            frame = await chat.text(typed)
            assert_friendly(frame)
            shown = notices(frame, "error") if frame["type"] == "messages" else [frame]
            assert "shorten it" in shown[0]["text"]
            assert shown[0]["restore_text"] == typed  # the page puts it back in the box
            assert (await draft_of(bot))["step"] == "pupils"
            # The socket is still open and the conversation carries on.
            frame = await chat.text("AB (Year 5)")
            assert step_of(frame) == "what_happened"


@pytest.mark.parametrize(
    "odd_id",
    [
        pytest.param("a\u0000b", id="NUL"),
        pytest.param("\ud800", id="lone surrogate"),
        pytest.param("\N{SNOWMAN}" * 100, id="100 non-ASCII characters"),
        pytest.param("f" * 100, id="100 characters"),
    ],
)
async def test_odd_but_allowed_message_ids_work_on_every_database(
    make_bot: Any, tmp_path: Path, odd_id: str
) -> None:
    # A long (but valid) e-mail address too: e-mail and id together exceed 200 characters.
    bot = await make_bot(school_config=_school_with(tmp_path, LONG_EMAIL))
    async with serve(bot) as client:
        await sign_in(client, LONG_EMAIL)
        async with open_chat(client) as (chat, _hello, _first):
            frame = await chat.send({"type": "action", "value": "start:concern", "id": odd_id})
            assert step_of(frame) == "immediate_danger", frame
            again = await chat.send({"type": "action", "value": "yes", "id": odd_id})
            assert again["items"] == []
            assert (await draft_of(bot, LONG_EMAIL))["answers"] == {}


LONG_EMAIL = f"{'firstname.middlenames.lastname' * 3}@{'department' * 7}.example.org"


def _school_with(tmp_path: Path, email: str) -> Path:
    """The example school with one more member of staff."""
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    config["people"].append({"email": email, "name": "Long Address", "roles": ["staff"]})
    path = tmp_path / "school.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


async def test_a_lone_surrogate_in_text_is_stored_and_shown(make_bot: Any) -> None:
    bot = await make_bot()
    async with serve(bot) as client:
        await sign_in(client)
        async with open_chat(client) as (chat, _hello, _first):
            for value in ["start:concern", "no", "other"]:
                frame = await chat.action(value)
            assert step_of(frame) == "other_kind"
            frame = await chat.text("broken \ud83d emoji")
            assert step_of(frame) == "about_adult"
            assert (await draft_of(bot))["answers"]["other_kind"] == "broken \ud83d emoji"


@pytest.mark.one_database  # the channel, not the storage beneath it
async def test_push_reaches_every_open_tab_of_that_person_only(make_bot: Any) -> None:
    bot = await make_bot()
    assert bot.web_chat is not None
    async with serve(bot) as staff, serve(bot) as dsl:
        await sign_in(staff, STAFF)
        await sign_in(dsl, DSL)
        async with (
            open_chat(staff) as (one, _, _),
            open_chat(staff) as (two, _, _),
            open_chat(dsl) as (other, _, _),
        ):
            sent = await bot.web_chat.push(STAFF, [Notice("A reminder for you.", "info")])
            assert sent == 2
            for tab in (one, two):
                frame = await tab.next()
                assert frame == {
                    "type": "messages",
                    "items": [
                        {
                            "kind": "notice",
                            "tone": "info",
                            "text": "A reminder for you.",
                            "restore_text": None,
                        }
                    ],
                    "reply_to": None,
                }
            # The DSL's tab got nothing: the next frame it sees answers its own message.
            frame = await other.action("help")
            assert "Designated Safeguarding Lead" in notices(frame, "guidance")[0]["text"]
        assert await bot.web_chat.push(STAFF, [Notice("Nobody is here.", "info")]) == 0
