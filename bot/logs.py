"""Logging setup: plain text for people, or one JSON object a line for log collectors.

Every line carries the request id of the HTTP request or websocket it belongs to, so one turn
can be followed through the logs. Messages never hold report content or names: callers log ids.
"""

from __future__ import annotations

import contextvars
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_HEADER = "X-Request-Id"


class _WithRequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id.get()),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(*, level: str, json_lines: bool) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_WithRequestId())
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Alembic announces itself on every schema check (/readyz); our own log line says enough.
    logging.getLogger("alembic").setLevel(logging.WARNING)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Take the caller's X-Request-Id (a proxy's) or make one; log lines and the answer carry it."""
    given = request.headers.get(_HEADER, "")
    value = given if 0 < len(given) <= 64 and given.isprintable() else uuid.uuid4().hex[:16]
    token = request_id.set(value)
    try:
        response = await handler(request)
    finally:
        request_id.reset(token)
    if not response.prepared:
        response.headers[_HEADER] = value
    return response
