"""The filtering checks' spreadsheet from the web chat: made afresh for whoever is signed in, if
they are an ICT contact, the DSL, a deputy or the headteacher (checked on the server every time,
a refusal recorded), and its download recorded. In Slack the file comes with `checks` itself."""

from __future__ import annotations

from aiohttp import web

from bot.channels.services import Schools
from bot.channels.web.export_routes import (
    HEADERS,
    NOT_SIGNED_IN,
    PersonOf,
    refusal,
    services_of,
)
from bot.monitoring.checks_use_cases import CheckUseCases
from bot.words import strings

CSV_PATH = "/api/web/checks.csv"


def add_check_routes(app: web.Application, schools: Schools, person_of: PersonOf) -> None:
    async def download(request: web.Request) -> web.Response:
        person = await person_of(request)
        if person is None:
            return refusal(401, NOT_SIGNED_IN)
        services = await services_of(schools, request, person)
        checks: CheckUseCases | None = services.checks
        if checks is None:
            return refusal(404, strings.CHECKS_NONE)
        async with services.sessions() as session, session.begin():
            made = await checks.spreadsheet(
                session, email=person.email, channel="web", now=services.clock()
            )
        if made is None:
            return refusal(403, strings.CHECK_NOT_ALLOWED)
        return web.Response(
            body=made.data,
            content_type="text/csv",
            charset="utf-8",
            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{made.filename}"'},
        )

    app.router.add_get(CSV_PATH, download)
