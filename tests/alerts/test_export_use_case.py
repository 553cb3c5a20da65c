"""The one chronology export (bot/cases/export.py), as every channel calls it: the chat's
button, the web chat's download and Teams' file consent get the same refusals and record the
same events, because they all call this."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import Bot
from bot.cases.use_cases import Chronology, Refused, chronology_attachment, to_csv
from storage.models import Event
from tests.alerts.test_alerts import DSL, file_concern
from tests.support.reports import only_report
from tests.support.walk import STAFF


async def _export(bot: Bot, case_id: str | int, actor: str, **options: object) -> object:
    assert bot.web_chat is not None
    services = bot.web_chat.services  # what every channel is given
    async with services.sessions() as session, session.begin():
        return await services.cases.export_chronology(
            session,
            case_id=case_id,
            actor=actor,
            channel=options.get("channel"),  # type: ignore[arg-type]
            fmt="csv",
            now=services.clock(),
            record=bool(options.get("record", True)),
        )


async def _events(bot: Bot, kind: str) -> list[Event]:
    async with bot.router.sessions() as session:
        return list(await session.scalars(select(Event).where(Event.kind == kind)))


async def test_no_such_case_is_refused_before_any_record(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    for key in ("999999", "OS-1999-99999", "not a key\x00", "1" * 20):
        assert await _export(bot, key, DSL) == Refused("no_such_case")
    assert await _events(bot, "exported") == []


async def test_someone_who_may_not_view_the_case_is_refused_and_nothing_is_exported(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    case = (await only_report(bot)).id
    assert await _export(bot, case, STAFF) == Refused("not_allowed")
    assert await _export(bot, str(case), STAFF, channel="slack") == Refused("not_allowed")
    assert await _events(bot, "exported") == []
    refused = [(e.actor_email, e.report_id, e.detail) for e in await _events(bot, "refused")]
    assert refused == [(STAFF, case, {"action": "export"})]  # the second, counted with it


async def test_the_export_is_recorded_with_the_channel_that_delivers_it(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    report = await only_report(bot)

    made = await _export(bot, report.id, DSL)  # the web chat's own download: no channel
    assert isinstance(made, Chronology)
    assert made.case_id == report.id and made.reference == report.reference
    assert made.record.exported_by.endswith(f"({DSL})")
    slack = await _export(bot, report.reference or "", DSL, channel="slack")
    assert isinstance(slack, Chronology) and slack.case_id == report.id
    later = await _export(bot, report.id, DSL, channel="teams", record=False)
    assert isinstance(later, Chronology)

    details = [(e.actor_email, e.detail) for e in await _events(bot, "exported")]
    assert details == [(DSL, {"format": "csv"}), (DSL, {"format": "csv", "channel": "slack"})]
    # The file lists its own export: the one recorded before it was made.
    file = chronology_attachment(slack)
    assert file.data == to_csv(slack.record)
    assert file.source is not None and file.source.id == report.id
    assert file.filename == f"{report.reference}-chronology.csv"
