"""The annual filtering and monitoring review's pack from the web chat (the document as a PDF and
as the page, and the year's filtering checks as CSV):
for the people who may read it, checked on the server each time and recorded by the review's
use case (bot/monitoring/review_use_cases.py)."""

from __future__ import annotations

from aiohttp import web

from bot.channels.services import Schools
from bot.channels.web.export_routes import (
    HEADERS,
    NOT_SIGNED_IN,
    PAGE_CSP,
    PersonOf,
    refusal,
    services_of,
)
from bot.monitoring.review_use_cases import FileName, Refused
from bot.words import strings

_FILES: dict[str, FileName] = {
    "pdf": "review.pdf",
    "html": "review.html",
    "checks.csv": "checks.csv",
}


def add_review_routes(app: web.Application, schools: Schools, person_of: PersonOf) -> None:
    async def download(request: web.Request) -> web.Response:
        person = await person_of(request)
        if person is None:
            return refusal(401, NOT_SIGNED_IN)
        services = await services_of(schools, request, person)
        if services.reviews is None:
            return refusal(404, strings.REVIEW_NO_DOCUMENT)
        what: FileName = _FILES[request.match_info["file"]]
        async with services.sessions() as session, session.begin():
            found = await services.reviews.document_file(
                session,
                year=request.match_info["year"],
                actor=person.email,
                file=what,
                channel=None,  # the web chat's own download: recorded without a channel
                now=services.clock(),
                labels=services.checks.labels() if services.checks is not None else None,
            )
        if isinstance(found, Refused):
            if found.reason == "not_allowed":
                return refusal(403, strings.REVIEW_NOT_ALLOWED_DOCUMENT)
            return refusal(404, strings.REVIEW_NO_DOCUMENT)
        if what != "review.html":
            disposition = f'attachment; filename="{found.filename}"'
            return web.Response(
                body=found.data,
                content_type=found.media_type.split(";")[0],
                charset="utf-8" if what == "checks.csv" else None,
                headers={**HEADERS, "Content-Disposition": disposition},
            )
        return web.Response(
            body=found.data,
            content_type="text/html",
            charset="utf-8",
            headers={
                **HEADERS,
                "Content-Security-Policy": PAGE_CSP,
                "Content-Disposition": f'inline; filename="{found.filename}"',
            },
        )

    app.router.add_get(r"/api/web/filtering-review/{year}/review.{file:pdf|html}", download)
    app.router.add_get(r"/api/web/filtering-review/{year}/{file:checks\.csv}", download)
