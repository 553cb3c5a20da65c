"""The trust's own people in a trust's deployment, over the real web chat: the safeguarding lead
sees every school's open cases and opens one, read-only, each look recorded in that school's
own log; the lead cannot act on a case, nor can a button made to say a school make them; the
trust's IT people see no case at all."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app import Bot
from bot.cases.recipients import TRUST_LEVEL
from bot.cases.scheduled import sweep_alerts
from bot.channels.web.step_up import opens_case
from bot.delivery.messages import Inbound, User
from bot.trust_lead_desk import AUDIT, AUDIT_START, FIGURES, LIST, VIEW
from storage.models import AuditCampaign, AuditParticipant, Event, Outbox, Report
from tests.web.chat import assert_friendly, items, notices, open_chat, serve, sign_in
from tests.web.test_trust_deployment import (
    OAKFIELD_ONLY,
    RIVERSIDE_ONLY,
    TRUST_IT,
    TRUST_LEAD,
    file_concern,
    trust_bot,
    write_trust,
)

__all__ = ["trust_bot"]  # the fixture


async def _one_concern_each(bot: Bot, client: Any) -> dict[str, str]:
    filed = {}
    for school, email in (("oakfield", OAKFIELD_ONLY), ("riverside", RIVERSIDE_ONLY)):
        client.session.cookie_jar.clear()
        await sign_in(client, email)
        async with open_chat(client) as (chat, _hello, menu):
            filed[school] = await file_concern(chat, menu, school)
    client.session.cookie_jar.clear()
    return filed


async def _views(bot: Bot, key: str) -> list[tuple[str | None, dict[str, Any]]]:
    """Each "viewed" entry in school `key`'s log: who, and what it says it was."""
    async with bot.parts[key].sessions() as session:
        rows = await session.execute(
            select(Event.actor_email, Event.detail).where(Event.kind == "viewed").order_by(Event.id)
        )
        return [(actor, dict(detail)) for actor, detail in rows]


async def _case_id(bot: Bot, key: str) -> int:
    async with bot.parts[key].sessions() as session:
        return int((await session.scalars(select(Report.id))).one())


async def test_the_trust_lead_sees_every_schools_cases_each_look_recorded(trust_bot: Bot) -> None:
    async with serve(trust_bot) as client:
        filed = await _one_concern_each(trust_bot, client)
        await sign_in(client, TRUST_LEAD)
        async with open_chat(client) as (chat, _hello, menu):
            assert "trust's safeguarding lead" in str(menu)
            listed = await chat.action(LIST)
            cards = {c["title"]: str(c) for c in items(listed) if c["kind"] == "card"}
            assert set(cards) == {"Oakfield: 1 open case(s)", "Riverside: 1 open case(s)"}
            assert filed["oakfield"] in cards["Oakfield: 1 open case(s)"]
            assert filed["riverside"] in cards["Riverside: 1 open case(s)"]
            assert "Name-calling" not in str(listed)  # a list shows no content
            for key in ("oakfield", "riverside"):
                assert await _views(trust_bot, key) == [
                    (TRUST_LEAD, {"of": "list", "as": "trust_safeguarding_lead"})
                ]

            case = await _case_id(trust_bot, "riverside")
            opened = await chat.action(f"{VIEW}riverside:{case}")
            assert_friendly(opened)
            assert "Name-calling in the class group chat." in str(opened)
            assert all(not i.get("actions") for i in items(opened))  # read-only: no buttons
            assert (await _views(trust_bot, "riverside"))[-1] == (
                TRUST_LEAD,
                {"of": "details", "as": "trust_safeguarding_lead"},
            )
            assert len(await _views(trust_bot, "oakfield")) == 1  # nothing more seen there

            # Riverside's case asked of Oakfield: Oakfield has no such case, and says so.
            wrong = await chat.action(f"{VIEW}oakfield:{case}")
            assert "not open to you at Oakfield" in str(notices(wrong, "error"))


async def test_the_trust_lead_cannot_act_on_a_case(trust_bot: Bot) -> None:
    async with serve(trust_bot) as client:
        await _one_concern_each(trust_bot, client)
        case = await _case_id(trust_bot, "oakfield")
        await sign_in(client, TRUST_LEAD)
        async with open_chat(client) as (chat, _hello, _menu):
            forged = await chat.action(f"@oakfield|case:ack:{case}", token=None)
            assert_friendly(forged)
    async with trust_bot.parts["oakfield"].sessions() as session:
        report = await session.get(Report, case)
        assert report is not None and report.case_status == "open"
        assert report.acknowledged_by is None


async def test_the_trusts_it_people_see_no_case(trust_bot: Bot) -> None:
    async with serve(trust_bot) as client:
        await _one_concern_each(trust_bot, client)
        await sign_in(client, TRUST_IT)
        async with open_chat(client) as (chat, _hello, first):
            assert "no case is shown to you" in str(first)
            for tried in (chat.text("cases"), chat.action(LIST), chat.action(f"{VIEW}oakfield:1")):
                answer = await tried
                assert "no case is shown to you" in str(answer)
    assert await _views(trust_bot, "oakfield") == []
    assert await _views(trust_bot, "riverside") == []


def test_a_school_s_case_button_asks_for_the_step_up_whatever_school_it_says() -> None:
    """The web chat asks a case handler to sign in again before a case opens: the buttons of a
    trust's deployment say their school first, and the trust lead's View is a case's too."""
    user = User("u", TRUST_LEAD, "K")
    for value in ("case:view:3", "@oakfield|case:view:3", "@riverside|case:export:3", f"{VIEW}a:3"):
        assert opens_case(Inbound("web", TRUST_LEAD, user, value=value)), value
    assert not opens_case(Inbound("web", TRUST_LEAD, user, value="@oakfield|case:ack:3"))


async def test_the_final_level_alerts_the_trust_lead_once_the_schools_chain_has_not(
    make_bot: Any, tmp_path: Any, clock: Any
) -> None:
    """A trust file's `escalation: {after_minutes: 30}`: a case still unacknowledged 30 minutes
    after its alert goes to the trust's lead too (not before), beside the school's own chain;
    the lead's alert card opens the case read-only and acts on nothing."""
    folder = tmp_path / "config"
    folder.mkdir()
    trust = write_trust(folder)
    trust.write_text(trust.read_text() + "escalation: {after_minutes: 30}\n")
    bot: Bot = await make_bot(trust_config=trust)
    oakfield = bot.parts["oakfield"]
    async with serve(bot) as client:
        await sign_in(client, OAKFIELD_ONLY)
        async with open_chat(client) as (chat, _hello, menu):
            reference = await file_concern(chat, menu, "oakfield")
        case = await _case_id(bot, "oakfield")

        clock.advance(minutes=29)
        await sweep_alerts(oakfield.jobs)
        assert await _trust_rows(bot, case) == []  # the school's chain still has time
        clock.advance(minutes=2)
        await sweep_alerts(oakfield.jobs)
        assert await _trust_rows(bot, case) == [(TRUST_LEAD, TRUST_LEVEL)]
        await sweep_alerts(oakfield.jobs)  # once: a later sweep sends no second
        assert await _trust_rows(bot, case) == [(TRUST_LEAD, TRUST_LEVEL)]

        # The lead was not signed in: the alert waited, and comes when they open the chat.
        client.session.cookie_jar.clear()
        await sign_in(client, TRUST_LEAD)
        async with open_chat(client) as (lead, _hello, _menu):
            alert = await lead.push()
            assert reference in str(alert) and "trust's safeguarding lead" in str(alert)
            view = next(v for v in _values(alert) if v.endswith(f"case:view:{case}"))
            opened = await lead.action(view, token=None)
            assert "Name-calling in the class group chat." in str(opened)
            assert all(not i.get("actions") for i in items(opened))
            ack = next(v for v in _values(alert) if v.endswith(f"case:ack:{case}"))
            refused = await lead.action(ack, token=None)
            assert "not act on it" in str(refused)
    async with oakfield.sessions() as session:
        report = await session.get(Report, case)
        assert report is not None and report.case_status == "open"
        escalated = await session.scalars(
            select(Event.detail).where(Event.report_id == case, Event.kind == "escalated")
        )
        assert {"level": "trust", "recipients": 1} in list(escalated)


def _values(frame: dict[str, Any]) -> list[str]:
    return [str(o["value"]) for i in items(frame) for o in i.get("actions") or []]


async def _trust_rows(bot: Bot, case: int) -> list[tuple[str, int]]:
    async with bot.parts["oakfield"].sessions() as session:
        rows = await session.execute(
            select(Outbox.recipient_email, Outbox.level).where(
                Outbox.report_id == case, Outbox.level == TRUST_LEVEL
            )
        )
        return [(email, level) for email, level in rows]


async def test_the_trust_lead_compares_the_schools_in_figures_and_a_chart(
    trust_bot: Bot, tmp_path: Any
) -> None:
    async with serve(trust_bot) as client:
        filed = await _one_concern_each(trust_bot, client)
        await sign_in(client, TRUST_LEAD)
        async with open_chat(client) as (chat, _hello, _menu):
            shown = await chat.action(FIGURES)
            (card,) = [i for i in items(shown) if i["kind"] == "card"]
            fields = {f["label"]: f["value"] for f in card["fields"]}
            assert set(fields) == {"Oakfield", "Riverside"}
            for value in fields.values():
                assert value.startswith("1 report(s).")
                assert "Self-audit: not started this year" in value
            for reference in filed.values():
                assert reference not in str(shown)  # numbers only
            assert "Name-calling" not in str(shown)
            chart = await client.get(card["links"][0]["href"])
            assert chart.status == 200 and chart.content_type == "image/png"
            (tmp_path / "trust-figures.png").write_bytes(await chart.read())
        # Each look recorded in each school's log, about no report.
        for key in ("oakfield", "riverside"):
            async with trust_bot.parts[key].sessions() as session:
                looks = list(
                    await session.scalars(
                        select(Event.detail).where(
                            Event.kind == "viewed", Event.report_id.is_(None)
                        )
                    )
                )
            assert looks == [{"of": "trust figures", "as": "trust_safeguarding_lead"}] * 2
        # Anyone else: refused.
        client.session.cookie_jar.clear()
        await sign_in(client, TRUST_IT)
        refused = await client.get("/api/web/trust/figures.png")
        assert refused.status == 403


async def _participants(bot: Bot, key: str) -> list[tuple[str, str]]:
    """(e-mail, who started its campaign) of each person school `key`'s self-audit asks."""
    async with bot.parts[key].sessions() as session:
        rows = await session.execute(
            select(AuditParticipant.email, AuditCampaign.started_by).join(
                AuditCampaign, AuditCampaign.id == AuditParticipant.campaign_id
            )
        )
        return sorted((email, by) for email, by in rows)


async def test_the_trust_lead_starts_the_self_audit_in_every_school(trust_bot: Bot) -> None:
    async with serve(trust_bot) as client:
        await sign_in(client, TRUST_LEAD)
        async with open_chat(client) as (chat, _hello, menu):
            assert AUDIT in str(menu)
            asked = await chat.action(AUDIT)
            assert "all 2 schools" in str(asked) and AUDIT_START in str(asked)
            for key in ("oakfield", "riverside"):  # nothing yet: it asks first
                assert await _participants(trust_bot, key) == []
            started = await chat.action(AUDIT_START)
            (card,) = [i for i in items(started) if i["kind"] == "card"]
            lines = {f["label"]: f["value"] for f in card["fields"]}
            assert set(lines) == {"Oakfield", "Riverside"}
            assert all(line.startswith("started: ") for line in lines.values()), lines
            first = {k: await _participants(trust_bot, k) for k in ("oakfield", "riverside")}
            again = await chat.action(AUDIT_START)  # an old button, or a second press
            (card,) = [i for i in items(again) if i["kind"] == "card"]
            assert all(f["value"].startswith("already running: ") for f in card["fields"])
    for key, asked_people in first.items():
        assert asked_people and {by for _, by in asked_people} == {TRUST_LEAD}
        assert await _participants(trust_bot, key) == asked_people  # nobody asked twice
    emails = {k: {e for e, _ in people} for k, people in first.items()}
    assert OAKFIELD_ONLY in emails["oakfield"] and OAKFIELD_ONLY not in emails["riverside"]
    assert RIVERSIDE_ONLY in emails["riverside"] and RIVERSIDE_ONLY not in emails["oakfield"]
