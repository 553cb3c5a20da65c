"""The self-audit's downloads from the web chat: the results as CSV (names people: the DSL,
deputies and headteacher only, checked on the server each time, and recorded, by the audit's
results-file use case, as for Teams) and the chart."""

from __future__ import annotations

from aiohttp import web

from bot.audit.use_cases import FileName, Refused
from bot.channels.services import Schools
from bot.channels.web.export_routes import (
    HEADERS,
    NOT_SIGNED_IN,
    PersonOf,
    refusal,
    services_of,
)
from bot.words import strings


def add_audit_routes(app: web.Application, schools: Schools, person_of: PersonOf) -> None:
    async def download(request: web.Request) -> web.Response:
        person = await person_of(request)
        if person is None:
            return refusal(401, NOT_SIGNED_IN)
        what: FileName = (
            "results.csv" if request.match_info["file"] == "results.csv" else "chart.png"
        )
        services = await services_of(schools, request, person)
        async with services.sessions() as session, session.begin():
            found = await services.audits.results_file(
                session,
                campaign_id=request.match_info["campaign_id"],
                actor=person.email,
                file=what,
                channel=None,  # the web chat's own download: recorded without a channel
                now=services.clock(),
            )
        if isinstance(found, Refused):
            if found.reason == "not_allowed":
                return refusal(403, strings.AUDIT_NOT_ALLOWED)
            return refusal(404, strings.AUDIT_NONE)
        if what == "results.csv":
            name = found.csv_filename()
            return web.Response(
                body=found.csv_bytes(),
                content_type="text/csv",
                charset="utf-8",
                headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
            )
        return web.Response(body=found.chart_png(), content_type="image/png", headers=HEADERS)

    app.router.add_get(r"/api/audit/{campaign_id}/{file:results\.csv|chart\.png}", download)
