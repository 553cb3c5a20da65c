"""One deployment serving a trust's two schools (TRUST_CONFIG), over the real web chat: a person
of one school talks to it unasked; a person on the staff of both chooses the school, and each
school's DSL sees only the report made to their school; an alert's buttons go to the alert's
school, and a button made to say another school changes nothing there.

Oakfield and Riverside are the example school twice, with Riverside's case handlers and one
member of staff its own: Tom Brannigan (staff) and the governor are in both files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import Bot, TrustNotServed
from bot.delivery.school_tags import tag_value, untag_value
from bot.school.trust import TrustConfigError
from bot.settings import PROJECT_ROOT
from bot.trust_desk import CHOOSE
from storage.models import AuditParticipant, Report, SchoolChoice
from tests.support.walk import IMAGE_TICKED, Answer, cyberbullying_concern, walk
from tests.web.chat import (
    REFERENCE,
    Socket,
    WebTab,
    asked,
    assert_friendly,
    items,
    notices,
    open_chat,
    serve,
    sign_in,
    step_of,
)

EXAMPLE = PROJECT_ROOT / "config" / "school.example.yaml"
BOTH = "t.brannigan@example.org"  # staff of both schools
OAKFIELD_ONLY = "s.nakamura@example.org"
OAKFIELD_DSL = "a.hartley@example.org"
RIVERSIDE_DSL = "r.okon@example.org"
RIVERSIDE_ONLY = "r.staff@example.org"  # Riverside's own member of staff
TRUST_LEAD = "k.okafor@example.org"
TRUST_IT = "trust.it@example.org"
# Riverside's own people where Oakfield's are: its DSL, deputies, head and one member of staff.
RIVERSIDE_OWN = {
    OAKFIELD_DSL: RIVERSIDE_DSL,
    "d.osei@example.org": "r.bello@example.org",
    "p.lindqvist@example.org": "r.chen@example.org",
    "m.fenwick@example.org": "r.doyle@example.org",
    OAKFIELD_ONLY: RIVERSIDE_ONLY,
}
# The trust file with Oakfield alone (Riverside is added by a reload).
OAKFIELD_ALONE = (
    "name: Example Learning Trust\nschools:\n  - {key: oakfield, file: oakfield.yaml}\n"
)
CONCERN = cyberbullying_concern("Name-calling in the class group chat.", "today 09:00")


def write_trust(folder: Path) -> Path:
    oakfield = EXAMPLE.read_text().replace("name: Example Primary School", "name: Oakfield")
    riverside = EXAMPLE.read_text().replace("name: Example Primary School", "name: Riverside")
    for theirs, own in RIVERSIDE_OWN.items():
        riverside = riverside.replace(theirs, own)
    (folder / "oakfield.yaml").write_text(oakfield)
    (folder / "riverside.yaml").write_text(riverside)
    trust = folder / "trust.yaml"
    trust.write_text(
        "name: Example Learning Trust\nschools:\n"
        "  - {key: oakfield, file: oakfield.yaml}\n"
        "  - {key: riverside, file: riverside.yaml}\n"
        "people:\n"
        f"  - {{email: {TRUST_LEAD}, name: Kemi Okafor, roles: [trust_safeguarding_lead]}}\n"
        f"  - {{email: {TRUST_IT}, name: Trust IT, roles: [trust_it]}}\n"
    )
    return trust


def with_a_bad_school(trust_file_text: str) -> str:
    """The trust file with a school whose key is not a key and whose file is not there."""
    return trust_file_text.replace("schools:\n", "schools:\n  - {key: Bad Key, file: x.yaml}\n")


@pytest.fixture
async def trust_bot(make_bot: Any, tmp_path: Path) -> Bot:
    folder = tmp_path / "config"
    folder.mkdir()
    bot: Bot = await make_bot(trust_config=write_trust(folder))
    return bot


class TrustTab(WebTab):
    """A web chat tab of a trust's deployment: its buttons say their school, so the walker's
    answer is the button whose value, untagged, is the answer (and must be this school's)."""

    def __init__(self, socket: Socket, frame: dict[str, Any], school: str) -> None:
        super().__init__(socket, frame)
        self.school = school

    async def answer(self, value: Answer) -> None:
        question = asked(self.frame)
        if isinstance(value, tuple):  # the boxes as the school sent them, as a browser ticks them
            ticked = (tag_value(self.school, v) for v in value)
            self.frame = await self.socket.multi(*ticked, token=question.get("token"))
            return
        if isinstance(value, str):
            for option in question.get("options") or []:
                tagged = untag_value(option["value"])
                assert tagged is not None, f"an untagged button in a trust: {option}"
                assert tagged[0] == self.school, f"another school's button: {option}"
                if tagged[1] == value:
                    self.frame = await self.socket.action(option["value"])
                    return
        await super().answer(value)


def button(frame: dict[str, Any], value: str) -> str:
    """The tagged value of the newest question's (or card's) button that means `value`."""
    for item in reversed(items(frame)):
        for option in [*(item.get("options") or []), *(item.get("actions") or [])]:
            tagged = untag_value(option["value"])
            if tagged is not None and tagged[1] == value:
                return str(option["value"])
    raise AssertionError(f"no button for {value!r} in {frame}")


async def reports_of(bot: Bot, key: str) -> list[tuple[str, str]]:
    """(reference, reporter) of each report in school `key`'s records."""
    async with bot.parts[key].sessions() as session:
        rows = await session.execute(select(Report.reference, Report.reporter_email))
        return [(reference, reporter) for reference, reporter in rows]


async def _case_id_of(bot: Bot, key: str) -> int:
    async with bot.parts[key].sessions() as session:
        return int((await session.scalars(select(Report.id))).one())


async def file_concern(socket: Socket, frame: dict[str, Any], school: str) -> str:
    """File the concern from the menu in `frame` (school `school`'s); its reference."""
    tab = TrustTab(socket, await socket.action(button(frame, "start:concern")), school)
    await walk(tab, CONCERN)
    sent = await socket.action(button(tab.frame, "__submit"))
    assert items(sent) == []  # the receipt comes from the outbox
    receipt = await socket.push()
    found = REFERENCE.search(str(notices(receipt, "success")))
    assert found, receipt
    return found.group(0)


async def test_staff_of_one_school_talk_to_it_unasked(trust_bot: Bot) -> None:
    async with serve(trust_bot) as client:
        await sign_in(client, OAKFIELD_ONLY)
        async with open_chat(client) as (chat, _hello, menu):
            assert step_of(menu) is None  # the menu, not "which school?"
            reference = await file_concern(chat, menu, "oakfield")

    assert await reports_of(trust_bot, "oakfield") == [(reference, OAKFIELD_ONLY)]
    assert await reports_of(trust_bot, "riverside") == []


async def test_boxes_ticked_in_the_browser_reach_their_school_untagged(trust_bot: Bot) -> None:
    """A multiple-choice question's boxes carry their school, as its buttons do: the browser
    sends them back as they came, and the school reads the answers it offered."""
    async with serve(trust_bot) as client:
        await sign_in(client, RIVERSIDE_ONLY)
        async with open_chat(client) as (chat, _hello, menu):
            tab = TrustTab(chat, await chat.action(button(menu, "start:concern")), "riverside")
            await walk(tab, IMAGE_TICKED, until="about_adult")
    async with trust_bot.parts["riverside"].sessions() as session:
        (urgent,) = await session.scalars(select(Report))
    assert urgent.urgent_reasons == ["coercion", "under_13"]  # the boxes ticked made it urgent


async def test_staff_of_two_schools_choose_and_each_school_has_only_its_report(
    trust_bot: Bot,
) -> None:
    async with serve(trust_bot) as client:
        await sign_in(client, BOTH)
        async with open_chat(client) as (chat, _hello, first):
            which = asked(first)
            assert which["text"].startswith("Which school is this for?")
            assert [o["label"] for o in which["options"]] == ["Oakfield", "Riverside"]
            chose = await chat.action(f"{CHOOSE}riverside")
            assert "You are now talking to Riverside" in notices(chose)[0]["text"]
            in_riverside = await file_concern(chat, chose, "riverside")

            again = await chat.text("switch school")
            assert asked(again)["text"].startswith("Which school is this for?")
            chose = await chat.action(f"{CHOOSE}oakfield")
            in_oakfield = await file_concern(chat, chose, "oakfield")

    assert await reports_of(trust_bot, "riverside") == [(in_riverside, BOTH)]
    assert await reports_of(trust_bot, "oakfield") == [(in_oakfield, BOTH)]
    # Each school's DSL: their school's report in their case list, never the other's.
    async with serve(trust_bot) as client:
        for dsl, theirs, other in (
            (OAKFIELD_DSL, in_oakfield, in_riverside),
            (RIVERSIDE_DSL, in_riverside, in_oakfield),
        ):
            await sign_in(client, dsl)
            async with open_chat(client) as (chat, _hello, _menu):
                listed = str(await chat.text("cases"))
                assert theirs in listed and other not in listed
        # Nor does a download: the other school's case, even with a link saying its school.
        await sign_in(client, OAKFIELD_DSL)
        own, riversides = (
            await _case_id_of(trust_bot, "oakfield"),
            await _case_id_of(trust_bot, "riverside"),
        )
        for path, status in (
            (f"/api/web/cases/{own}/chronology.csv?school=oakfield", 200),
            (f"/api/web/cases/{riversides}/chronology.csv?school=riverside", 404),
            (f"/api/web/cases/{riversides}/chronology.csv", 404),
        ):
            response = await client.get(path)
            assert response.status == status, (path, await response.text())


async def test_what_was_typed_before_the_question_is_answered_by_the_school_chosen(
    trust_bot: Bot,
) -> None:
    async with serve(trust_bot) as client:
        await sign_in(client, BOTH)
        async with open_chat(client) as (chat, _hello, _first):
            asked_first = await chat.text("help")
            assert "I have kept what you wrote" in str(notices(asked_first))
            async with trust_bot.desk.sessions() as session:  # type: ignore[union-attr]
                kept = (await session.scalars(select(SchoolChoice.pending_enc))).one()
            assert kept is not None and b"help" not in kept  # kept, encrypted
            chose = await chat.action(f"{CHOOSE}oakfield")
            assert_friendly(chose)
            # Oakfield's answer to "help" (its help card), with Oakfield's buttons.
            shown = str(chose)
            assert "You are now talking to Oakfield" in shown
            assert "@oakfield|" in shown and "@riverside|" not in shown
            async with trust_bot.desk.sessions() as session:  # type: ignore[union-attr]
                row = (await session.scalars(select(SchoolChoice))).one()
            assert row.pending_enc is None


async def test_a_choice_of_a_school_that_is_not_theirs_is_refused(trust_bot: Bot) -> None:
    async with serve(trust_bot) as client:
        await sign_in(client, BOTH)
        async with open_chat(client) as (chat, _hello, _first):
            refused = await chat.action(f"{CHOOSE}elsewhere")
            assert notices(refused, "error")
            assert asked(refused)["text"].startswith("Which school is this for?")


async def test_an_alert_goes_to_its_schools_dsl_and_its_button_to_its_school(
    trust_bot: Bot,
) -> None:
    async with serve(trust_bot) as client:
        await sign_in(client, OAKFIELD_DSL)
        async with open_chat(client) as (dsl, _hello, _menu):
            # The reporter signs in in another browser: the DSL's tab keeps the DSL's session.
            client.session.cookie_jar.clear()
            await sign_in(client, OAKFIELD_ONLY)
            async with open_chat(client) as (chat, _hello2, menu):
                reference = await file_concern(chat, menu, "oakfield")
            alert = await dsl.push()
            assert reference in str(alert)
            ack = next(v for v in _actions(alert) if untag_value(v)[1].startswith("case:ack:"))  # type: ignore[index]
            assert ack.startswith("@oakfield|")
            # The same button made to say Riverside: Riverside has no such case, nor this DSL.
            forged = await dsl.action(ack.replace("@oakfield|", "@riverside|", 1), token=None)
            assert_friendly(forged)
            assert await _status(trust_bot, reference) == ("open", None)
            await dsl.action(ack, token=None)
            assert await _status(trust_bot, reference) == ("acknowledged", OAKFIELD_DSL)


def _actions(frame: dict[str, Any]) -> list[str]:
    return [str(o["value"]) for item in items(frame) for o in item.get("actions") or []]


async def _status(bot: Bot, reference: str) -> tuple[str, str | None]:
    """The case's status and who acknowledged it, in Oakfield's records (and none in
    Riverside's)."""
    async with bot.parts["riverside"].sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Report)) == 0
    async with bot.parts["oakfield"].sessions() as session:
        row = (
            await session.execute(
                select(Report.case_status, Report.acknowledged_by).where(
                    Report.reference == reference
                )
            )
        ).one()
    return row[0], row[1]


async def test_a_trust_file_with_a_problem_starts_nothing_and_says_why(
    make_bot: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    trust = write_trust(folder)
    trust.write_text(with_a_bad_school(trust.read_text()))
    with pytest.raises(TrustConfigError) as caught:
        await make_bot(trust_config=trust)
    assert "Bad Key" in str(caught.value) and "trust.yaml" in str(caught.value)


async def test_a_trust_deployment_refuses_what_it_does_not_serve_yet(
    make_bot: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    with pytest.raises(TrustNotServed) as caught:
        await make_bot(trust_config=write_trust(folder), web_chat_enabled=False)
    assert "needs the web chat (WEB_CHAT_ENABLED)" in str(caught.value)


async def test_each_schools_self_audit_asks_its_own_staff_only(trust_bot: Bot, clock: Any) -> None:
    """The trust's one web chat knows everyone of both schools; each school's campaign asks
    the people of its own file (Tom, in both, is asked by both, each in its own records)."""
    invited: dict[str, set[str]] = {}
    for key, part in trust_bot.parts.items():
        async with part.sessions() as session, session.begin():
            started = await part.audit.starter.start(session, started_by="test", now=clock.now)
        async with part.sessions() as session:
            invited[key] = set(await session.scalars(select(AuditParticipant.email)))
        assert started.invited == len(invited[key])  # type: ignore[union-attr]
    assert OAKFIELD_ONLY in invited["oakfield"] and OAKFIELD_ONLY not in invited["riverside"]
    assert RIVERSIDE_OWN[OAKFIELD_ONLY] in invited["riverside"]
    assert RIVERSIDE_OWN[OAKFIELD_ONLY] not in invited["oakfield"]
    assert BOTH in invited["oakfield"] and BOTH in invited["riverside"]
