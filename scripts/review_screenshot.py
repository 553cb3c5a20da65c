"""A screenshot of the annual filtering and monitoring review's document, as the bot makes it.

Builds the bot from this checkout on a throw-away SQLite database with the example school, files
a few sample reports, provider alerts and filtering checks in the review year, opens the 2026
review on its day, answers it in chat as the DSL (through the real router), takes the HTML
document from the completion card, and saves the page as Chromium shows it (A4 width):

    .venv/bin/python scripts/review_screenshot.py docs/screenshots/filtering-review.png

CHROMIUM names the browser (default: chromium on the PATH, or /usr/bin/chromium).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import async_playwright

from bot.app import build_bot, prepare_storage
from bot.delivery.messages import Card, Inbound, Question, Summary, User
from bot.monitoring import review
from bot.settings import PROJECT_ROOT, Settings
from storage.models import FilteringCheck, MonitoringAlert, MonitoringGroup, Report

DSL = "a.hartley@example.org"
REVIEW_DAY = datetime(2026, 9, 15, 8, 0, tzinfo=UTC)
ANSWERS = {
    "provision": "Example Filtering Services on every school device, the staff and pupil Wi-Fi "
    "and the guest network; Example Monitoring Services on school laptops and iPads, in school "
    "and at home. Pornography, self-harm, extremism, gambling and illegal content are blocked "
    "for everyone; YouTube is restricted for pupils.",
    "responsibility": "Martin Fenwick (headteacher) leads; Joanna Whitcombe is the governor "
    "responsible; Alice Hartley (DSL) acts on alerts; Ravi Adeyemi runs the termly checks.",
    "changes": "Thirty Chromebooks for year 5 from January; the guest Wi-Fi now filtered too.",
    "checks": "Termly tests of every category; in the spring test the new Chromebooks were not "
    "filtered off site. Fixed by the provider within a day and tested again.",
    "reports": "Most reports were over-blocking of teaching sites. One possible bypass (a VPN "
    "app) was found and blocked. <script>alert('not run')</script> stays text.",
    "training": "All staff at the September INSET; the DSL's update in March; the governor "
    "attended the local authority's briefing.",
    "actions": "Add the Chromebooks to monitoring (Ravi, October); review the YouTube setting "
    "with heads of department (Martin, by half term).",
}


class Clock:
    now = REVIEW_DAY

    def __call__(self) -> datetime:
        return self.now


def _report(kind: str, at: datetime, **fields: object) -> Report:
    return Report(
        kind=kind,
        status="submitted",
        reporter_email="t.brannigan@example.org",
        channel="web",
        flow_id=kind,
        flow_version=1,
        created_at=at,
        updated_at=at,
        submitted_at=at,
        alerted_at=at,
        **fields,
    )


async def document_html(folder: Path) -> str:
    clock = Clock()
    settings = Settings(
        data_dir=folder / "data",
        database_url=f"sqlite+aiosqlite:///{folder / 'bot.db'}",
        school_config=PROJECT_ROOT / "config" / "school.example.yaml",
    )
    bot = build_bot(settings, clock=clock)
    await prepare_storage(bot)
    try:
        when = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
        async with bot.router.sessions() as session, session.begin():
            concern = _report("concern", when)
            session.add(concern)
            await session.flush()
            for minutes, extra in ((4, {"urgent": True, "linked_report_id": concern.id}), (9, {})):
                session.add(
                    _report(
                        "filtering",
                        when,
                        acknowledged_at=when + timedelta(minutes=minutes),
                        **extra,
                    )
                )
            for n, (provider, severity, count) in enumerate(
                (("smoothwall", 3, 12), ("smoothwall", 2, 1), ("senso", 4, 1))
            ):
                alert = _report(
                    "monitoring_alert",
                    when,
                    urgent=severity == 4,
                    acknowledged_at=when + timedelta(minutes=3 + n),
                )
                session.add(alert)
                await session.flush()
                group = MonitoringGroup(
                    group_key=f"sample-{n}",
                    provider=provider,
                    hour=when,
                    report_id=alert.id,
                    count=count,
                    first_at=when,
                    last_at=when,
                )
                session.add(group)
                await session.flush()
                session.add_all(
                    MonitoringAlert(
                        provider=provider,
                        alert_id=f"sample-{n}-{i}",
                        severity=severity,
                        group_id=group.id,
                        received_at=when,
                    )
                    for i in range(count)
                )
            for day, failed in ((datetime(2025, 11, 4, 10, tzinfo=UTC), ()), (when, ("adult",))):
                results = {
                    c: "not_blocked" if c in failed else "blocked" for c in ("csam", "adult")
                }
                session.add(
                    FilteringCheck(
                        checked_at=day,
                        checked_by="r.adeyemi@example.org",
                        channel="web",
                        flow_version=1,
                        user_group="pupils",
                        test="testfiltering",
                        results=results,
                        failed=bool(failed),
                    )
                )
        assert bot.audit is not None
        assert bot.audit.filtering_review is not None
        await bot.audit.filtering_review()
        async with bot.router.sessions() as session:
            found = await review.review_for(session, 2026)
        assert found is not None
        user = User(platform_id=DSL, email=DSL, display_name="Alice Hartley")
        turn = 0

        async def say(**fields: object) -> list[object]:
            nonlocal turn
            turn += 1
            inbound = Inbound("web", DSL, user, message_id=f"shot-{turn}", **fields)  # type: ignore[arg-type]
            return list(await bot.router.handle(inbound))

        replies = await say(value=f"fmreview:start:{found.id}")
        while True:
            asked = [r for r in replies if isinstance(r, Question | Summary)][-1]
            if isinstance(asked, Summary):
                replies = await say(value="__submit", token=asked.token)
                break
            assert isinstance(asked, Question)
            assert asked.step_id is not None
            replies = await say(text=ANSWERS[asked.step_id])
        (card,) = [r for r in replies if isinstance(r, Card) and r.attachments]
        return card.attachments[1].data.decode()
    finally:
        await bot.engine.dispose()


async def main(target: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        html = await document_html(Path(folder))
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
        await page.set_content(html)
        target.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(target), full_page=True)
        await browser.close()
    print(f"Saved {target}")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "filtering-review.png")))
