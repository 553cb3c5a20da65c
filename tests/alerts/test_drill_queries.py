"""Every query over the reports table in the bot leaves drills out (`Report.drill`), or is
listed here with the reason it must see them: a new list, count or export of reports that
forgets drills fails this test before it can count one (bot/cases/drills.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.parsing import parse

BOT = Path(__file__).parents[2] / "bot"

# (module, function): why it reads drills too.
SEES_DRILLS = {
    ("cases/alerts.py", "escalate_due"): "a drill escalates exactly as a real alert does",
    ("cases/service.py", "find_case"): "a drill's Acknowledge finds it (chat.py allows no more)",
    ("reports/service.py", "bind_reports_from_before"): "the event log covers every row",
}


def queries_over_reports() -> dict[tuple[str, str], str]:
    """(module, function) -> the function's source, for each that selects from Report."""
    found = {}
    for path in sorted(BOT.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "Report" not in source:
            continue
        for node in ast.walk(parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                # The code without its comments: a comment naming drills is no filter.
                text = ast.unparse(node)
                if "select(Report" in text or ".join(Report" in text:
                    found[(str(path.relative_to(BOT)), node.name)] = text
    return found


def test_every_query_over_reports_leaves_drills_out_or_says_why_not():
    found = queries_over_reports()
    forgetting = sorted(
        key for key, text in found.items() if "drill" not in text and key not in SEES_DRILLS
    )
    assert forgetting == [], "leave drills out (Report.drill.is_(False)) or list it here"
    assert set(SEES_DRILLS) <= set(found), "a listed query is gone: take it off the list"
