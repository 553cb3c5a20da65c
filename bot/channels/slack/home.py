"""The App Home tab: buttons to start each report, and the cases for those who handle them."""

from __future__ import annotations

from typing import Any

from bot import strings
from bot.channels.slack.blocks import escape_mrkdwn


def home_view(school: str, flows: list[tuple[str, str]], *, handles_cases: bool) -> dict[str, Any]:
    buttons = [_button(value, label, i) for i, (value, label) in enumerate(flows)]
    buttons.append(_button("__mine", strings.MY_REPORTS_OPTION, len(buttons)))
    if handles_cases:
        buttons.append(_button("__cases", strings.OPEN_CASES_OPTION, len(buttons)))
    intro = escape_mrkdwn(strings.SLACK_HOME.format(school=school))
    return {
        "type": "home",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
            {"type": "actions", "block_id": "home", "elements": buttons},
        ],
    }


def _button(value: str, label: str, index: int) -> dict[str, Any]:
    text = label if len(label) <= 75 else label[:74] + "…"
    return {
        "type": "button",
        "action_id": f"home:{index}",
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
