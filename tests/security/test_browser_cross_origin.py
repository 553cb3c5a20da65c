"""Issue 13, point 2, in a real Chromium: a page served from another port of 127.0.0.1, open in
the same browser as a signed-in DSL, opens the bot's websocket and asks for the cases.

Both ports are one *site*, so the SameSite=Strict cookie goes with the handshake; only the
server's Origin check stops it. The bot's own page, in the same browser, still works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import expect

from bot.words import strings
from tests.web.browser import Served, Tab, served, served_school, sign_in_by_clicking, tab

__all__ = [
    "served",
    "served_school",
    "tab",
]  # the fixtures, shared with the web chat's browser tests
DSL = "a.hartley@example.org"

# The attacker's page: open the bot's socket, ask for the cases, report what came back. It
# settles when the socket closes (refused) or the server answers the request (read).
ATTACK = """<!doctype html><meta charset="utf-8"><title>Another app on this machine</title>
<script>
window.attack = new Promise((resolve) => {
  const seen = [];
  const ws = new WebSocket("ws://127.0.0.1:%(port)s/api/web/ws");
  ws.onopen = () => {
    seen.push("open");
    ws.send(JSON.stringify({ type: "text", id: "attack-1", text: "cases" }));
  };
  ws.onmessage = (event) => {
    seen.push(event.data);
    if (JSON.parse(event.data).reply_to === "attack-1") resolve({ seen, how: "answered" });
  };
  ws.onclose = (event) => resolve({ seen, how: "closed", code: event.code });
});
</script>
<p>Nothing to see here.</p>"""


@pytest.fixture
async def other_port(served: Served) -> AsyncIterator[str]:
    """A second web server on 127.0.0.1 (another port), serving the attacker's page."""
    port = served.url.rstrip("/").rsplit(":", 1)[1]

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text=ATTACK % {"port": port}, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, found = runner.addresses[0][:2]
        assert str(found) != port
        yield f"http://{host}:{found}/"
    finally:
        await runner.cleanup()


async def test_a_page_on_another_port_cannot_use_the_dsls_websocket(
    served: Served, tab: Tab, other_port: str
) -> None:
    await sign_in_by_clicking(tab, DSL)

    attacker = await tab.page.context.new_page()
    await attacker.goto(other_port)
    result: dict[str, Any] = await attacker.evaluate("window.attack")
    assert result["how"] == "closed", f"the other page read the chat: {result}"
    assert result["seen"] == [], result  # never even opened
    await attacker.close()

    # The control: the DSL's own tab, in the same browser, asks the same and is answered.
    page = tab.page
    await page.fill("#composer-input", "cases")
    await page.press("#composer-input", "Enter")
    await expect(page.locator("#log [data-kind=notice]").last).to_contain_text(
        strings.NO_OPEN_CASES
    )
    assert tab.problems == []
