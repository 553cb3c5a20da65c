"""Screenshots of the Teams summary card (the review-before-send card of a 14-answer concern), as
the Adaptive Cards JavaScript renderer draws it in headless Chromium at a personal chat's width.

Two steps, so that the card of another version of the code can be drawn too:

    python scripts/teams_card_screenshot.py card > after.json
    PYTHONPATH=/path/to/other/checkout python scripts/teams_card_screenshot.py card > before.json
    python scripts/teams_card_screenshot.py shoot after.json \\
        docs/screenshots/teams-summary-after.png \\
        --renderer /tmp/acr/node_modules/adaptivecards/dist/adaptivecards.min.js

`card` renders one Summary with bot/channels/teams/render.py (whichever `bot` is imported) and
prints its card. `shoot` needs the npm package `adaptivecards` (npm install adaptivecards, in any
folder) and Playwright with /usr/bin/chromium. The host config holds the figures of Teams' light
theme (font sizes, spacing, at most 6 actions); the buttons' look is a few lines of CSS of ours
in Teams' manner (a red title for a destructive action), so the colours are near Teams', not
Teams' own. Nothing here is part of the bot.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

WIDTH = 460  # a personal chat's card column, roughly, in the Teams desktop client
# Teams' light theme, as figures (spacing, sizes, weights, colours, maxActions).
HOST_CONFIG: dict[str, Any] = {
    "supportsInteractivity": True,
    "fontFamily": "'Segoe UI', 'DejaVu Sans', sans-serif",
    "spacing": {
        "small": 8,
        "default": 12,
        "medium": 16,
        "large": 20,
        "extraLarge": 24,
        "padding": 16,
    },
    "separator": {"lineThickness": 1, "lineColor": "#EEEEEE"},
    "fontSizes": {"small": 12, "default": 14, "medium": 14, "large": 18, "extraLarge": 24},
    "fontWeights": {"lighter": 200, "default": 400, "bolder": 600},
    "containerStyles": {
        "default": {
            "backgroundColor": "#ffffff",
            "foregroundColors": {
                "default": {"default": "#252424", "subtle": "#605e5c"},
                "attention": {"default": "#c4314b", "subtle": "#c4314b"},
            },
        },
        "accent": {"backgroundColor": "#C7DEF9"},
        "attention": {"backgroundColor": "#FFC5B2"},
        "good": {"backgroundColor": "#CCFFCC"},
        "warning": {"backgroundColor": "#FFE2B2"},
    },
    "actions": {
        "maxActions": 6,
        "buttonSpacing": 8,
        "actionsOrientation": "Horizontal",
        "actionAlignment": "Left",
    },
}
CSS = """
body { margin: 0; background: #f5f5f5; font-family: 'Segoe UI', 'DejaVu Sans', sans-serif; }
#card { width: %dpx; margin: 12px; border-radius: 4px; box-shadow: 0 1px 2px #0002; }
.ac-pushButton { border: 1px solid #d1d1d1; background: #fff; border-radius: 4px;
  padding: 5px 12px; font: 600 14px 'Segoe UI', 'DejaVu Sans', sans-serif; color: #242424;
  min-height: 32px; cursor: pointer; }
.ac-pushButton.style-positive { background: #5b5fc7; border-color: #5b5fc7; color: #fff; }
.ac-pushButton.style-destructive { color: #c4314b; border-color: #c4314b; }
select.ac-input, .ac-input select { width: 100%%; min-height: 32px;
  font: 14px 'Segoe UI', 'DejaVu Sans', sans-serif; border: 1px solid #d1d1d1;
  border-radius: 4px; background: #fff; }
"""


def card_json() -> dict[str, Any]:
    """The summary card of a cyberbullying concern with 14 answers, as the code renders it."""
    from bot.channels.teams.render import render_turn
    from bot.delivery.messages import Option, Summary, SummaryRow

    rows = [
        ("immediate_danger", "Immediate danger", "No"),
        ("category", "Kind of concern", "Cyber-bullying"),
        ("bullying_repeated", "Repeated", "Yes, it is repeated"),
        ("bullying_evidence", "Evidence kept", "Yes, it has been kept"),
        ("bullying_illegal", "May be a crime", "No"),
        ("about_adult", "About an adult", "No"),
        ("pupils", "Pupils involved", "AB (Year 5), target; CD (Year 6), sent the messages"),
        ("what_happened", "What happened", "Names called in the class group chat."),
        ("your_concerns", "Your concerns (your opinion)", "(not answered)"),
        ("disclosure", "A child told you", "No"),
        ("safe_home", "Safe to go home", "Yes"),
        ("others_at_risk", "Other children at risk", "No"),
        ("others_told", "Who else knows", "The class teacher."),
        ("happened_at", "When it happened", "Tue 24 Nov 2026, 09:00"),
    ]
    summary = Summary(
        "Check your report",
        tuple(SummaryRow(step, label, value) for step, label, value in rows),
        "Please check your answers. You can change any of them before sending.",
        (
            Option("__submit", "Send to the DSL", "primary"),
            Option("__back", "Back"),
            Option("__cancel", "Cancel", "danger"),
        ),
        token="_summary.30",  # noqa: S106 (a click token, not a secret)
    )
    (activity,) = render_turn([summary])
    content: dict[str, Any] = activity["attachments"][0]["content"]
    return content


def shoot(card_file: Path, png: Path, renderer: Path) -> int:
    """Draw the card with the Adaptive Cards renderer and save the card's picture; its height."""
    from playwright.sync_api import sync_playwright

    card = json.loads(card_file.read_text(encoding="utf-8"))
    page_html = f"""<!doctype html><html><head><meta charset="utf-8">
<style>{CSS % WIDTH}</style><script>{renderer.read_text(encoding="utf-8")}</script></head>
<body><div id="card"></div><script>
const card = new AdaptiveCards.AdaptiveCard();
card.hostConfig = new AdaptiveCards.HostConfig({json.dumps(HOST_CONFIG)});
card.parse({json.dumps(card)});
document.getElementById("card").appendChild(card.render());
</script></body></html>"""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": WIDTH + 24, "height": 800})
        page.set_content(page_html)
        element = page.locator("#card")
        height = int(element.bounding_box()["height"])  # type: ignore[index]
        element.screenshot(path=str(png))
        browser.close()
    _smaller(png)
    return height


def _smaller(png: Path) -> None:
    """The picture in 64 colours: a card is a few flat colours and text, a third the bytes."""
    from PIL import Image

    with Image.open(png) as image:
        image.convert("RGB").quantize(colors=64).save(png, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("card", help="print the summary card's JSON")
    shot = sub.add_parser("shoot", help="draw a card's JSON into a PNG")
    shot.add_argument("card", type=Path)
    shot.add_argument("png", type=Path)
    shot.add_argument("--renderer", type=Path, required=True, help="adaptivecards.min.js")
    args = parser.parse_args()
    if args.command == "card":
        json.dump(card_json(), sys.stdout, ensure_ascii=False, indent=1)
        return 0
    height = shoot(args.card, args.png, args.renderer)
    print(f"{args.png}: the card is {height} px tall at {WIDTH} px wide")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
