"""Who may talk to the web chat's routes: the Host allow-list and the Origin checks.

The web chat trusts a browser's cookie, so it must know the request came from its own page:
- `Host` must be one of the chat's public hosts (DNS rebinding points another name at us);
- `Origin`, when the browser sends one (every websocket, every POST), must be a public origin:
  a page on another port of 127.0.0.1 is the same *site* (SameSite=Strict sends the cookie)
  but another *origin*;
- `Sec-Fetch-Site`, when sent, must say the request came from our own page (or the address
  bar): an <img> or link on another port's page would otherwise download an export.

Only the web chat's paths are guarded. Slack's and Teams' endpoints sit behind a proxy with a
public Host and are authenticated by their signatures and tokens; health checks and metrics
are asked for by address, under any Host.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_OWN_PAGE = {"same-origin", "none"}  # none: typed in the address bar, a bookmark
_SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
WRONG_HOST = (
    "This web address is not one the online-safety chat answers on. Open the chat at the "
    "address your school gave you (WEB_PUBLIC_ORIGINS lists them)."
)
WRONG_ORIGIN = (
    "This request did not come from the online-safety chat's own page, so it was refused. "
    "Open the chat at the address your school gave you and try again."
)


def is_web_chat_path(path: str) -> bool:
    return path == "/" or path.startswith(("/static/", "/api/web/", "/api/audit/", "/auth/"))


class Guard:
    """The allowed origins: configured, or this machine's loopback names on the bot's port."""

    def __init__(self, *, origins: Iterable[str], port: int) -> None:
        self.configured = tuple(origins)
        self.port = port

    def origins(self, request: web.Request) -> set[str]:
        if self.configured:
            return set(self.configured)
        ports = {self.port, _local_port(request)} - {None}
        return {f"http://{name}:{port}" for name in _LOOPBACK_NAMES for port in ports}

    def hosts(self, request: web.Request) -> set[str]:
        found = set()
        for origin in self.origins(request):
            scheme, _, host = origin.partition("://")
            found.add(host)
            if ":" not in host.rsplit("]", 1)[-1]:  # no port written: the default one
                found.add(f"{host}:{443 if scheme == 'https' else 80}")
        return found

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_web_chat_path(request.path):
            return await handler(request)
        host = request.headers.get("Host", "").strip().lower()
        if host not in self.hosts(request):
            return _refusal(request, 400, WRONG_HOST)
        origin = request.headers.get("Origin")
        if origin is not None and origin.strip().lower() not in self.origins(request):
            return _refusal(request, 403, WRONG_ORIGIN)
        fetched_from = request.headers.get("Sec-Fetch-Site")
        is_api = request.path.startswith("/api/")
        if is_api and fetched_from is not None and fetched_from.lower() not in _OWN_PAGE:
            return _refusal(request, 403, WRONG_ORIGIN)
        return await handler(request)


def _local_port(request: web.Request) -> int | None:
    """The port this connection arrived on (the bot's own, wherever it was bound)."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if isinstance(sockname, tuple) and len(sockname) >= 2 and isinstance(sockname[1], int):
        return sockname[1]
    return None


def _refusal(request: web.Request, status: int, message: str) -> web.Response:
    """JSON for the page's own calls (it shows `error`); text for downloads and the page."""
    json_api = request.path.startswith("/api/web/") and not request.path.startswith(
        "/api/web/cases/"
    )
    if json_api:
        return web.json_response({"error": message}, status=status, headers=_SECURITY_HEADERS)
    return web.Response(
        status=status, text=message, content_type="text/plain", headers=_SECURITY_HEADERS
    )
