"""Exporting a case's chronology from the web chat: a CSV and a printable page. (In Slack and
Teams the chronology card's "Export the chronology" button sends the CSV as a file instead:
bot/cases/chat.py.)

Only a signed-in person the case may be shown to gets it (checked on the server, every time, by
`cases.authorise`, which records a refusal); every export is recorded in the same transaction
that reads the case, so there is never a copy the record does not know about.
"""

from __future__ import annotations

from typing import Literal

from aiohttp import web

from bot.cases import export
from bot.cases import service as cases
from bot.cases.chat import case_key
from bot.channels.web.handler import WebChat
from bot.words import strings

Format = Literal["csv", "html"]
NOT_SIGNED_IN = "Please sign in to the chat first, then open the export again."
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The page carries its own styles and nothing else: no scripts, images, fonts or requests.
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"


def add_export_routes(app: web.Application, chat: WebChat) -> None:
    routes = ExportRoutes(chat)
    app.router.add_get("/api/web/cases/{case_id}/chronology.csv", routes.csv)
    app.router.add_get("/api/web/cases/{case_id}/chronology.html", routes.html)


class ExportRoutes:
    def __init__(self, chat: WebChat) -> None:
        self.chat = chat

    async def csv(self, request: web.Request) -> web.Response:
        record = await self._read(request, "csv")
        if isinstance(record, web.Response):
            return record
        disposition = f'attachment; filename="{export.filename(record, "csv")}"'
        return web.Response(
            body=export.to_csv(record),
            content_type="text/csv",
            charset="utf-8",
            headers={**_HEADERS, "Content-Disposition": disposition},
        )

    async def html(self, request: web.Request) -> web.Response:
        record = await self._read(request, "html")
        if isinstance(record, web.Response):
            return record
        disposition = f'inline; filename="{export.filename(record, "html")}"'
        headers = {**_HEADERS, "Content-Security-Policy": PAGE_CSP}
        return web.Response(
            text=export.to_html(record),
            content_type="text/html",
            charset="utf-8",
            headers={**headers, "Content-Disposition": disposition},
        )

    async def _read(self, request: web.Request, fmt: Format) -> export.CaseRecord | web.Response:
        """The case as a record to export, or the response that refuses it."""
        person = await self.chat.person(request)
        if person is None:
            return _refusal(401, NOT_SIGNED_IN)
        key = case_key(request.match_info["case_id"])
        if key is None:
            return _refusal(404, strings.NO_SUCH_CASE)
        router = self.chat.router
        now = router.clock()
        async with router.sessions() as session, session.begin():
            # A refusal returns normally, so its "refused" entry is committed with the rest.
            report = await cases.find_case(session, key=key)
            if report is None or report.case_status is None:
                return _refusal(404, strings.NO_SUCH_CASE)
            try:
                await cases.authorise(
                    session,
                    router.desk,
                    report=report,
                    email=person.email,
                    action="export",
                    now=now,
                )
            except cases.NotAllowed:
                return _refusal(403, strings.NOT_ALLOWED)
            await cases.record_export(
                session, report_id=report.id, email=person.email, fmt=fmt, now=now
            )
            return await router.cases.chronology_record(session, report, person.email, now)


def _refusal(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=message, content_type="text/plain", headers=_HEADERS)
