"""Exporting a case's chronology from the web chat: a CSV and a printable page. (In Slack and
Teams the chronology card's "Export the chronology" button sends the CSV as a file instead:
bot/cases/chat.py.)

Only a signed-in person the case may be shown to gets it: the export use case
(bot/cases/export.py, the one every channel calls) checks them on the server, every time, and
records a refusal; every export is recorded in the same transaction that reads the case, so
there is never a copy the record does not know about.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.cases.use_cases import CaseRecord, Format, Refused, filename, to_csv, to_html
from bot.channels.services import Schools, Services
from bot.delivery.school_tags import SCHOOL_QUERY
from bot.school.config import Person
from bot.words import strings

PersonOf = Callable[[web.Request], Awaitable[Person | None]]
# Who may open a case through this request: a person, None (nobody signed in), or the
# response to send instead (a redirect to sign in again first: a step-up).
CaseReader = Callable[[web.Request], Awaitable[Person | web.StreamResponse | None]]
NOT_SIGNED_IN = "Please sign in to the chat first, then open the export again."
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The page carries its own styles and nothing else: no scripts, images, fonts or requests.
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"


async def services_of(schools: Schools, request: web.Request, person: Person) -> Services:
    """The school a download is for: its link's (`?school=`, in a deployment serving a
    trust), if the person is on that school's staff; else the school they are talking to."""
    return await schools.of(
        channel="web",
        conversation_key=person.email,
        email=person.email,
        key=request.query.get(SCHOOL_QUERY),
    )


def add_export_routes(app: web.Application, schools: Schools, case_reader: CaseReader) -> None:
    routes = ExportRoutes(schools, case_reader)
    app.router.add_get("/api/web/cases/{case_id}/chronology.csv", routes.csv)
    app.router.add_get("/api/web/cases/{case_id}/chronology.html", routes.html)


class ExportRoutes:
    def __init__(self, schools: Schools, case_reader: CaseReader) -> None:
        self.schools = schools
        self.case_reader = case_reader

    async def csv(self, request: web.Request) -> web.StreamResponse:
        record = await self._read(request, "csv")
        if isinstance(record, web.StreamResponse):
            return record
        disposition = f'attachment; filename="{filename(record, "csv")}"'
        return web.Response(
            body=to_csv(record),
            content_type="text/csv",
            charset="utf-8",
            headers={**HEADERS, "Content-Disposition": disposition},
        )

    async def html(self, request: web.Request) -> web.StreamResponse:
        record = await self._read(request, "html")
        if isinstance(record, web.StreamResponse):
            return record
        disposition = f'inline; filename="{filename(record, "html")}"'
        headers = {**HEADERS, "Content-Security-Policy": PAGE_CSP}
        return web.Response(
            text=to_html(record),
            content_type="text/html",
            charset="utf-8",
            headers={**headers, "Content-Disposition": disposition},
        )

    async def _read(self, request: web.Request, fmt: Format) -> CaseRecord | web.StreamResponse:
        """The case as a record to export, or the response that refuses it."""
        person = await self.case_reader(request)
        if person is None:
            return refusal(401, NOT_SIGNED_IN)
        if isinstance(person, web.StreamResponse):
            return person
        services = await services_of(self.schools, request, person)
        async with services.sessions() as session, session.begin():
            # A refusal returns normally, so its "refused" entry is committed with the rest.
            made = await services.cases.export_chronology(
                session,
                case_id=request.match_info["case_id"],
                actor=person.email,
                channel=None,  # the web chat's own download: recorded without a channel
                fmt=fmt,
                now=services.clock(),
            )
        if isinstance(made, Refused):
            if made.reason == "not_allowed":
                return refusal(403, strings.NOT_ALLOWED)
            return refusal(404, strings.NO_SUCH_CASE)
        return made.record


def refusal(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=message, content_type="text/plain", headers=HEADERS)
