"""The App Home tab: buttons to start each report, and the cases for those who handle them."""

from __future__ import annotations

from typing import Any

from bot.channels.slack.blocks import escape_mrkdwn
from bot.words import strings


def home_view(
    school: str, flows: list[tuple[str, str]], *, handles_cases: bool, waiting: int = 0
) -> dict[str, Any]:
    """`waiting`: the open cases this person may handle and nobody has acknowledged (a case
    they may be the subject of is never counted: bot/cases/chat.py)."""
    buttons = [_button(value, label, i) for i, (value, label) in enumerate(flows)]
    buttons.append(_button("__mine", strings.MY_REPORTS_OPTION, len(buttons)))
    if handles_cases:
        buttons.append(_button("__cases", strings.OPEN_CASES_OPTION, len(buttons)))
    intro = escape_mrkdwn(strings.SLACK_HOME.format(school=school))
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": intro}}]
    if handles_cases and waiting:
        count = escape_mrkdwn(strings.CASES_WAITING.format(n=waiting))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": count}})
    blocks.append({"type": "actions", "block_id": "home", "elements": buttons})
    return {"type": "home", "blocks": blocks}


def _button(value: str, label: str, index: int) -> dict[str, Any]:
    text = label if len(label) <= 75 else label[:74] + "…"
    return {
        "type": "button",
        "action_id": f"home:{index}",
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
