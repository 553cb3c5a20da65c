"""The self-audit's downloads from the web chat: the results as CSV (names people: the DSL,
deputies and headteacher only, checked on the server each time, and recorded) and the chart."""

from __future__ import annotations

from aiohttp import web

from bot.audit import exports, results
from bot.audit.chart import results_chart_png
from bot.audit.chat import RESULT_ROLES
from bot.channels.web.export_routes import _HEADERS, NOT_SIGNED_IN, _refusal
from bot.channels.web.handler import WebChat
from bot.record.events import record_event
from bot.words import strings


def add_audit_routes(app: web.Application, chat: WebChat) -> None:
    async def download(request: web.Request) -> web.Response:
        person = await chat.person(request)
        if person is None:
            return _refusal(401, NOT_SIGNED_IN)
        router = chat.router
        if not router.audits.allowed(person.email, RESULT_ROLES):
            return _refusal(403, strings.AUDIT_NOT_ALLOWED)
        what = request.match_info["file"]
        # Digits that fit the column: a 23-digit id would fail in the database, not be "none".
        text = request.match_info["campaign_id"]
        if not (text.isascii() and text.isdigit() and len(text) <= 9):
            return _refusal(404, strings.AUDIT_NONE)
        campaign_id = int(text)
        now = router.clock()
        async with router.sessions() as session, session.begin():
            try:
                found = await results.campaign_results(session, router.cipher, campaign_id)
            except results.CampaignNotFound:
                return _refusal(404, strings.AUDIT_NONE)
            await record_event(
                session,
                kind="audit_exported",
                at=now,
                actor_email=person.email,
                detail={"campaign_id": campaign_id, "file": what},
            )
        if what == "results.csv":
            name = exports.results_filename(found, "csv")
            return web.Response(
                body=exports.results_csv(found, tz=router.school.tz).encode("utf-8"),
                content_type="text/csv",
                charset="utf-8",
                headers={**_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
            )
        return web.Response(
            body=results_chart_png(found), content_type="image/png", headers=_HEADERS
        )

    app.router.add_get(r"/api/audit/{campaign_id}/{file:results\.csv|chart\.png}", download)
