"""The web chat on a phone, in a real Chromium: it installs as a Progressive Web App (a valid
manifest with its icons, a service worker that caches the page's shell and never a report), it
is usable at 360 px, and a DSL's open page beeps and shows a system notification for a new
alert, whose words say nothing of the report."""

from __future__ import annotations

import asyncio
import json
import struct
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.settings import PROJECT_ROOT
from tests.web.browser import (
    REFERENCE,
    WAIT_MS,
    Served,
    Tab,
    click,
    expect_step,
    served,
    tab,
    type_answer,
)
from tests.web.test_browser_alerts import browser, served_school

DSL = "a.hartley@example.org"
STAFF = "t.brannigan@example.org"
SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "web-pwa-360.png"
# What the service worker may keep: the page's own files, nothing the API answers.
SHELL = {
    "/",
    "/static/app.js",
    "/static/render.js",
    "/static/style.css",
    "/static/manifest.webmanifest",
    "/static/icon-192.png",
    "/static/icon-512.png",
}
# Words of the report filed below; none may reach a notification or the cache.
REPORT_WORDS = ("Name-calling", "AB (Year 5)", "worse", "WhatsApp", "class teacher", "cyber")
__all__ = ["browser", "served", "served_school", "tab"]  # fixtures shared with other tests

# Records what the page shows as notifications and how often it starts a tone, and passes both
# on to the browser's own (headless Chromium shows nothing a test could read).
CAPTURE = """
window.__notifications = [];
window.__tones = 0;
const Real = window.Notification;
if (Real) {
  const Captured = function (title, options) {
    window.__notifications.push({ title, body: (options && options.body) || "" });
    return new Real(title, options);
  };
  Object.defineProperty(Captured, "permission", { get: () => Real.permission });
  Captured.requestPermission = (...args) => Real.requestPermission(...args);
  Captured.prototype = Real.prototype;
  window.Notification = Captured;
}
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__tones += 1;
  return start.apply(this, args);
};
"""

CACHED = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      found.push({ url: request.url, body: await response.text() });
    }
  }
  return found;
}"""


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_the_manifest_is_valid_and_its_icons_load(tab: Tab) -> None:
    await tab.page.goto(tab.url)
    href = await tab.page.locator('link[rel="manifest"]').get_attribute("href")
    assert href is not None
    answer = await tab.page.request.get(tab.url.rstrip("/") + href)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(await answer.text())
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert manifest["name"] and manifest["short_name"]
    assert (manifest["theme_color"], manifest["background_color"]) == ("#1d4f91", "#f3f4f6")
    sizes = set()
    for icon in manifest["icons"]:
        got = await tab.page.request.get(tab.url.rstrip("/") + icon["src"])
        assert (got.status, got.headers["content-type"], icon["type"]) == (
            200,
            "image/png",
            "image/png",
        )
        width, height = png_size(await got.body())
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(width)
    assert {192, 512} <= sizes
    assert tab.problems == []


async def phone(browser: Browser, url: str, email: str) -> tuple[BrowserContext, Page]:
    """A phone-sized browser of its own (its cookies, its caches), signed in as `email`."""
    context = await browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    await context.add_init_script(CAPTURE)
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.goto(url)
    await page.locator(f'[data-email="{email}"]').click()
    await expect_step(page, "menu")
    return context, page


async def file_a_report(page: Page) -> str:
    await click(page, "menu", "start:concern")
    await click(page, "immediate_danger", "no")
    await click(page, "category", "cyberbullying")
    await click(page, "bullying_repeated", "yes")
    await click(page, "bullying_evidence", "kept")
    await click(page, "bullying_illegal", "no")
    await click(page, "about_adult", "no")
    await type_answer(page, "pupils", "AB (Year 5)")
    await type_answer(page, "what_happened", "Name-calling in the class group chat.")
    await type_answer(page, "your_concerns", "It seems to be getting worse.")
    await click(page, "disclosure", "no")
    await click(page, "safe_home", "yes")
    await click(page, "others_at_risk", "no")
    await type_answer(page, "others_told", "The class teacher.")
    await type_answer(page, "happened_at", "today 09:00")
    await type_answer(page, "found_out_at", "today 09:00")
    await type_answer(page, "where", "WhatsApp")
    await type_answer(page, "actions_taken", "Spoke to the class teacher.")
    await click(page, "dsl_told_in_person", "no")
    await type_answer(page, "reporter_role", "Class teacher")
    await click(page, "summary", "__submit")
    success = page.locator("[data-kind=notice][data-tone=success]")
    await expect(success).to_contain_text(REFERENCE)
    found = REFERENCE.search(await success.inner_text())
    assert found is not None
    return found.group()


# Resolves once the page's service worker is active (waits for it; the page's CSP forbids the
# string evaluation wait_for_function would use).
ACTIVATED = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const worker = registration.active;
  if (worker.state !== "activated") {
    await new Promise((done) => worker.addEventListener("statechange", () => {
      if (worker.state === "activated") done();
    }));
  }
  return registration.scope;
}"""


async def expect_service_worker_active(page: Page) -> None:
    # A failed registration never makes one ready: give up after a browser step's wait.
    scope = await asyncio.wait_for(page.evaluate(ACTIVATED), WAIT_MS / 1000)
    assert urlsplit(scope).path == "/"


async def test_on_a_phone_the_dsl_is_notified_and_nothing_of_the_report_is_cached(
    served: Served, browser: Browser
) -> None:
    dsl_context, dsl = await phone(browser, served.url, DSL)
    _staff_context, staff = await phone(browser, served.url, STAFF)
    await expect_service_worker_active(dsl)
    await expect_service_worker_active(staff)

    # Only the safeguarding team is offered notifications; asked after a press of the button.
    button = dsl.locator("#alert-notifications")
    await expect(button).to_be_visible()
    await expect(staff.locator("#alert-notifications")).to_be_hidden()
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(served.url))
    await dsl_context.grant_permissions(["notifications"], origin=origin)
    await button.click()
    await expect(button).to_be_hidden()

    reference = await file_a_report(staff)

    card = dsl.locator(f'[data-kind="card"]:has-text("{reference}")')
    await expect(card).to_contain_text("Name-calling in the class group chat.")
    # The card and its notification come from the same push, the notification first.
    shown = await dsl.evaluate("window.__notifications")
    assert shown == [{"title": "New safeguarding alert", "body": "Open the chat to see it."}]
    assert await dsl.evaluate("window.__tones") >= 1
    # The reporter's own page had no alert: no sound, no notification.
    assert await staff.evaluate("[window.__notifications.length, window.__tones]") == [0, 0]

    # Reopened, the page asks the API (who is signed in, the people) through the worker.
    await staff.reload()
    await expect(staff.locator("#chat")).to_be_visible()
    for page in (dsl, staff):
        cached = await page.evaluate(CACHED)
        paths = {urlsplit(entry["url"]).path for entry in cached}
        assert paths and paths <= SHELL, paths
        for entry in cached:
            assert not any(word in entry["body"] for word in (*REPORT_WORDS, reference))

    # Usable one-handed at 360 px: nothing wider than the screen.
    assert await dsl.evaluate("document.documentElement.scrollWidth") <= 360
    await card.scroll_into_view_if_needed()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    await dsl.screenshot(path=str(SCREENSHOT))
