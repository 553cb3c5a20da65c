"""The governors' summary chart from the web chat: the link under the summary card opens it.
Made afresh for whoever is signed in, if they may see the summary (the DSL, a deputy, the head
or a governor), checked on the server each time; a refusal is recorded. Numbers only."""

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
from bot.words import strings

CHART_PATH = "/api/web/summary/chart.png"  # bot/cases/summary.py's link
TRUST_CHART_PATH = "/api/web/trust/figures.png"  # bot/trust_figures.py's link


def add_summary_routes(app: web.Application, schools: Schools, person_of: PersonOf) -> None:
    async def chart(request: web.Request) -> web.Response:
        person = await person_of(request)
        if person is None:
            return refusal(401, NOT_SIGNED_IN)
        services = await services_of(schools, request, person)
        async with services.sessions() as session, session.begin():
            png = await services.cases.governors_chart(
                session, actor=person.email, now=services.clock()
            )
        if png is None:
            return refusal(403, strings.SUMMARY_NOT_ALLOWED)
        return web.Response(body=png, content_type="image/png", headers=HEADERS)

    async def trust_chart(request: web.Request) -> web.Response:
        """A trust's figures (bot/trust_figures.py), for its safeguarding lead only."""
        person = await person_of(request)
        if person is None:
            return refusal(401, NOT_SIGNED_IN)
        png = await schools.trust_chart(person.email)
        if png is None:
            return refusal(403, strings.TRUST_FIGURES_NOT_ALLOWED)
        return web.Response(body=png, content_type="image/png", headers=HEADERS)

    app.router.add_get(CHART_PATH, chart)
    app.router.add_get(TRUST_CHART_PATH, trust_chart)
