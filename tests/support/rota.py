"""A rota for the example school, and the example file's own (commented-out) rota block."""

from __future__ import annotations

from typing import Any

import yaml

from tests.conftest import EXAMPLE_CONFIG

DSL, DANIEL, PETRA = "a.hartley@example.org", "d.osei@example.org", "p.lindqvist@example.org"
HEAD = "m.fenwick@example.org"

# Week A starts on Monday 23 November 2026 (the FakeClock's Tuesday 24th is in it); 30 November
# is a week B, 7 December a week A again. Tuesday 24 and Wednesday 25 November are overridden.
ROTA: dict[str, Any] = {
    "weekdays": {"mon": DSL, "tue": DANIEL, "wed": DSL, "thu": DANIEL, "fri": PETRA},
    "week_a_starts": "2026-11-23",
    "week_b": {"mon": PETRA},
    "overrides": [{"start": "2026-11-24", "end": "2026-11-25", "person": PETRA}],
    "out_of_hours": {"people": [HEAD, DSL]},
}
# Daniel on duty on the FakeClock's Tuesday, with no override.
DANIEL_ON_TUESDAY: dict[str, Any] = {
    "weekdays": {"mon": DSL, "tue": DANIEL, "wed": DSL, "thu": DANIEL, "fri": PETRA},
    "out_of_hours": {"people": [HEAD, DSL]},
}


def example_rota_block() -> dict[str, Any]:
    """The `rota:` the example file documents, with its leading "# " taken off."""
    lines, taken = EXAMPLE_CONFIG.read_text().splitlines(), []
    start = lines.index("# rota:")
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        taken.append(line.removeprefix("# "))
    block = yaml.safe_load("\n".join(taken))
    assert isinstance(block, dict)
    return dict(block["rota"])
