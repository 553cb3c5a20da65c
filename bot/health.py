"""/healthz (the process is up) and /readyz (the database answers and its schema is current)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import is_current


def add_health_routes(app: web.Application, engine: AsyncEngine) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            current = await is_current(engine)
        except Exception as error:  # any failure to reach the database means "not ready"
            body = {"status": "unavailable", "database": type(error).__name__}
            return web.json_response(body, status=503)
        if not current:
            body = {"status": "unavailable", "database": "migrations pending"}
            return web.json_response(body, status=503)
        return web.json_response({"status": "ready", "database": "ok", "migrations": "current"})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
