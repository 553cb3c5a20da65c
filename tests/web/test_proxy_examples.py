"""The README's reverse-proxy examples, run: docs/proxy/nginx.conf in a real nginx and
docs/proxy/Caddyfile in a real Caddy, each in front of the bot with PUBLIC_URL
https://safety.school.example:<port>. Through each, a member of staff signs in with their
school account in headless Chromium and reaches the chat (its websocket passes through), with a
`__Host-`, Secure, HttpOnly session cookie; /metrics is not served, and another Host is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import async_playwright, expect

from bot.channels.web.guard import WRONG_HOST
from bot.server import create_app
from tests.support.clock import FakeClock, RealTimeClock
from tests.support.net import free_port
from tests.support.oidc_provider import (
    OidcProvider,
    running_oidc_provider,
    skip_or_fail_without_provider,
)
from tests.support.proxies import (
    CADDY_EXAMPLE,
    HOST,
    NGINX_EXAMPLE,
    PROXIES,
    RunningProxy,
    client_tls,
    program,
    readme_blocks,
    running_proxy,
    self_signed_certificate,
)
from tests.web.browser import CHROMIUM_ARGS, WAIT_MS, chromium_path, expect_step
from tests.web.school_sign_in import (
    CLIENT_ID,
    CLIENT_SECRET,
    DOMAIN,
    ENTRA_ACCOUNTS,
    STAFF,
    TENANT,
)

# What makes a proxy example work with the bot; a test's changes must leave these lines alone.
KEPT_LINES = {
    "nginx": [
        "map $http_upgrade $connection_upgrade {",
        "server_name safety.school.example;",
        "location = /metrics {",
        "return 404;",
        "proxy_http_version 1.1;",
        "proxy_set_header Host $http_host;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "proxy_read_timeout 120s;",
    ],
    "caddy": ["safety.school.example {", "respond /metrics 404"],
}
# What a request for another name (DNS pointed at the school's proxy) gets. nginx's example is
# the port's only server, so nginx passes it on with its Host, and the bot refuses it; Caddy
# serves only the site's own name and answers anything else itself, empty, asking nobody.
ANOTHER_HOST = {"nginx": (400, WRONG_HOST), "caddy": (200, "")}


@pytest.fixture
def clock() -> FakeClock:
    """The provider signs with the real time: the bot's clock follows it, moved on by the test."""
    return RealTimeClock()


def test_the_readme_shows_the_example_files() -> None:
    """The README's nginx and Caddy blocks are the files the tests run, word for word."""
    assert readme_blocks("nginx") == [NGINX_EXAMPLE.read_text(encoding="utf-8")]
    assert readme_blocks("caddy") == [CADDY_EXAMPLE.read_text(encoding="utf-8")]


@dataclass
class BehindProxy:
    proxy: RunningProxy
    provider: OidcProvider
    bot_client: TestClient[web.Request, web.Application]

    @property
    def origin(self) -> str:
        return self.proxy.origin


@asynccontextmanager
async def behind_proxy(make_bot: Any, name: str, directory: Path) -> AsyncIterator[BehindProxy]:
    """The bot on loopback, signing staff in through a real OpenID provider (as
    tests/web/school_sign_in.py's `school_sign_in_bot`), but known to the world, and to the
    provider, at https://safety.school.example:<port>: the proxy's address."""
    program(name)
    skip_or_fail_without_provider()
    proxy_port, bot_port = free_port(), free_port()
    public_url = f"https://{HOST}:{proxy_port}"
    client_config = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"{public_url}/auth/callback"],
    }
    cert = self_signed_certificate(directory / "tls")
    async with running_oidc_provider(clients=[client_config], accounts=ENTRA_ACCOUNTS) as provider:
        bot = await make_bot(
            public_url=public_url,
            oidc_preset="entra",
            oidc_issuer=provider.issuer,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET,
            oidc_tenant_id=TENANT,
            oidc_hosted_domain=DOMAIN,
        )
        app = create_app(bot, run_scheduler=False)
        async with (
            TestClient(TestServer(app, host="127.0.0.1", port=bot_port)) as bot_client,
            running_proxy(
                name, directory / name, port=proxy_port, cert=cert, upstream_port=bot_port
            ) as proxy,
        ):
            yield BehindProxy(proxy, provider, bot_client)


async def through_proxy(it: BehindProxy, path: str, *, host: str | None = None) -> tuple[int, str]:
    """A request to the proxy as a client outside would make it (TLS for safety.school.example),
    with the Host header it is given (the proxy's public one by default)."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"https://127.0.0.1:{it.proxy.port}{path}",
            headers={"Host": host or f"{HOST}:{it.proxy.port}"},
            ssl=client_tls(),
            server_hostname=HOST,
            allow_redirects=False,
        ) as answer,
    ):
        return answer.status, await answer.text()


@pytest.mark.parametrize("name", list(PROXIES))
async def test_staff_sign_in_through_the_example_proxy(
    name: str, make_bot: Any, tmp_path: Path
) -> None:
    async with behind_proxy(make_bot, name, tmp_path / "proxy") as it:
        # The test changed only the port, the certificate, the bot's address and the files.
        for line in KEPT_LINES[name]:
            assert line in it.proxy.config, line

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium_path(),
                args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1"],
            )
            try:
                context = await browser.new_context(ignore_https_errors=True)
                page = await context.new_page()
                page.set_default_timeout(WAIT_MS)
                await page.goto(f"{it.origin}/")
                await page.get_by_role("link", name="Sign in with your school account").click()
                await page.wait_for_url(f"{it.provider.issuer}/**")
                await page.fill("#login", "staff")
                await page.get_by_role("button", name="Sign in").click()
                await page.wait_for_url(f"{it.origin}/")
                # Signed in, and the first question came over the websocket, through the proxy.
                await expect(page.locator("#chat")).to_be_visible()
                await expect_step(page, "menu")
                body = await page.evaluate("fetch('/api/web/session').then(r => r.json())")
                assert body["signed_in"] is True and body["user"]["email"] == STAFF
                cookies = {c["name"]: c for c in await context.cookies()}
                session = cookies["__Host-osb_session"]
                assert session["domain"] == HOST and session["path"] == "/"
                assert session["secure"] is True and session["httpOnly"] is True
                assert "osb_session" not in cookies
                await context.close()
            finally:
                await browser.close()

        # The metrics stay inside: the bot serves them, the proxy does not.
        assert (await it.bot_client.get("/metrics")).status == 200
        status, _ = await through_proxy(it, "/metrics")
        assert status == 404
        # Another name pointed at the proxy does not reach the chat.
        answer = await through_proxy(it, "/", host="evil.example")
        assert answer == ANOTHER_HOST[name], (answer[0], answer[1][:300])
