"""A check flow (purpose: check) that lacks what the bot records is refused at load, naming the
file and the step; a result step naming no known test category stops the bot at start."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.monitoring.checks import categories, check_categories
from dialogs.loader import BUILTIN_FLOWS, FlowError, load_flow

BUILTIN = yaml.safe_load((BUILTIN_FLOWS / "filtering_check.yaml").read_text())


def write(tmp_path: Path, flow: dict) -> Path:
    path = tmp_path / "filtering_check.yaml"
    path.write_text(yaml.safe_dump(flow))
    return path


def test_the_categories_name_their_source_and_mark_illegal_content() -> None:
    found = {c.id: c for c in categories()}
    assert {c for c, category in found.items() if category.illegal} == {"csam", "terrorism"}
    assert found["csam"].name == "Child sexual abuse content (IWF URL list)"
    assert all(category.source for category in found.values())


def test_a_check_flow_without_the_device_step_is_refused(tmp_path: Path) -> None:
    flow = {**BUILTIN, "steps": [s for s in BUILTIN["steps"] if s["id"] != "device"]}
    with pytest.raises(FlowError, match=r"needs the text step 'device'"):
        load_flow(write(tmp_path, flow))


def test_a_result_with_other_options_is_refused(tmp_path: Path) -> None:
    steps = [dict(s) for s in BUILTIN["steps"]]
    adult = next(s for s in steps if s["id"] == "result_adult")
    adult["options"] = [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]
    with pytest.raises(FlowError, match=r"step 'result_adult'.*blocked, not_blocked, not_tested"):
        load_flow(write(tmp_path, {**BUILTIN, "steps": steps}))


def test_a_result_for_an_unknown_category_stops_the_start(tmp_path: Path) -> None:
    steps = [dict(s) for s in BUILTIN["steps"]]
    next(s for s in steps if s["id"] == "result_adult")["id"] = "result_gambling"
    flow = load_flow(write(tmp_path, {**BUILTIN, "steps": steps}))
    with pytest.raises(FlowError, match=r"'result_gambling': 'gambling' is not a test category"):
        check_categories(flow.spec, str(flow.source))
