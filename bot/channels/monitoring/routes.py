"""POST /api/monitoring/<provider>: a provider's signed alert in, a JSON answer out; in a
trust's deployment POST /api/monitoring/<school>/<provider>, each school's provider with a
secret of its own (bot/app.py refuses a trust file whose schools would share one), so that an
alert signed for one school can never be filed in another's records.

Thin on purpose: the body is read up to the school file's limit (a larger one is refused unread)
and handed with its two headers to the monitoring use case, which checks, reads and files it.
Every refusal is a 4xx with a JSON `error` saying why, and stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aiohttp import web

from bot.monitoring.use_cases import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Accepted,
    Refused,
    Webhooks,
)
from bot.words import strings

_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_STATUS = {
    "unknown_provider": 404,
    "bad_timestamp": 401,
    "bad_signature": 401,
    "bad_json": 400,
    "bad_alert": 422,
    "replay": 409,
}


_PROVIDER = r"{provider:[a-z0-9][a-z0-9_-]{0,39}}"
_SCHOOL = r"{school:[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?}"  # a school key (bot/school/trust.py)


def add_monitoring_routes(app: web.Application, webhooks: Webhooks) -> None:
    async def receive(request: web.Request) -> web.Response:
        return await _receive(request, webhooks)

    app.router.add_post(f"/api/monitoring/{_PROVIDER}", receive)


def add_trust_monitoring_routes(
    app: web.Application, schools: Callable[[], Mapping[str, Webhooks]]
) -> None:
    """Each school's providers at its own path. `schools` (the schools whose file names
    providers, by key) is asked at each request: a school a reload added is there at once."""

    async def receive(request: web.Request) -> web.Response:
        webhooks = schools().get(request.match_info["school"])
        if webhooks is None:
            return _refusal("unknown_provider", strings.MONITORING_UNKNOWN_PROVIDER)
        return await _receive(request, webhooks)

    app.router.add_post(f"/api/monitoring/{_SCHOOL}/{_PROVIDER}", receive)


async def _receive(request: web.Request, webhooks: Webhooks) -> web.Response:
    provider = request.match_info["provider"]
    if not webhooks.knows(provider):
        return _refusal("unknown_provider", strings.MONITORING_UNKNOWN_PROVIDER)
    body = await _body(request, webhooks.max_body_bytes)
    if body is None:
        text = strings.MONITORING_TOO_LARGE.format(limit=webhooks.max_body_bytes)
        return _refusal("too_large", text, status=413)
    outcome = await webhooks.receive(
        provider,
        body=body,
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        signature=request.headers.get(SIGNATURE_HEADER),
    )
    if isinstance(outcome, Refused):
        return _refusal(outcome.reason, _words(outcome, webhooks.max_age_seconds))
    return _accepted(outcome)


async def _body(request: web.Request, limit: int) -> bytes | None:
    """The whole body, or None when it is longer than `limit` (read no further than that)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(16 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _words(refused: Refused, max_age: int) -> str:
    if refused.reason == "bad_timestamp":
        return strings.MONITORING_BAD_TIMESTAMP.format(seconds=max_age)
    if refused.reason == "bad_alert":
        return strings.MONITORING_BAD_ALERT.format(problem=refused.problem)
    return {
        "unknown_provider": strings.MONITORING_UNKNOWN_PROVIDER,
        "bad_signature": strings.MONITORING_BAD_SIGNATURE,
        "bad_json": strings.MONITORING_BAD_JSON,
        "replay": strings.MONITORING_REPLAY,
    }[refused.reason]


def _refusal(code: str, text: str, *, status: int | None = None) -> web.Response:
    return web.json_response(
        {"ok": False, "code": code, "error": text},
        status=status or _STATUS[code],
        headers=_HEADERS,
    )


def _accepted(accepted: Accepted) -> web.Response:
    text = strings.MONITORING_FILED if accepted.new else strings.MONITORING_GROUPED
    return web.json_response(
        {
            "ok": True,
            "reference": accepted.reference,
            "count": accepted.count,
            "grouped": not accepted.new,
            "message": text,
        },
        status=201 if accepted.new else 200,
        headers=_HEADERS,
    )
