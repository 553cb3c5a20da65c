"""The review's questions are a flow a school may reword (dialogs/flows/filtering_review.yaml);
the loader refuses, at start, one the review document could not be made from."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs.loader import BUILTIN_FLOWS, FlowError, load_flow, load_flows

_BUILTIN: dict[str, Any] = yaml.safe_load(
    (BUILTIN_FLOWS / "filtering_review.yaml").read_text(encoding="utf-8")
)


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "filtering_review.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _refusal(tmp_path: Path, data: dict[str, Any]) -> str:
    """Why the loader refuses `data` written to a file, checked to name that file."""
    path = _write(tmp_path, data)
    with pytest.raises(FlowError) as raised:
        load_flow(path)
    assert str(path) in str(raised.value)
    return str(raised.value)


def test_a_review_flow_without_a_heading_step_is_refused(tmp_path) -> None:
    data = copy.deepcopy(_BUILTIN)
    data["steps"] = [s for s in data["steps"] if s["id"] != "training"]
    assert "needs the text step 'training'" in _refusal(tmp_path, data)


def test_a_heading_step_must_be_text(tmp_path) -> None:
    data = copy.deepcopy(_BUILTIN)
    step = next(s for s in data["steps"] if s["id"] == "changes")
    step.update(kind="yes_no")
    step.pop("max_length")
    message = _refusal(tmp_path, data)
    assert "steps[2].kind (step 'changes')" in message and "must be a text step" in message


def test_words_may_name_only_what_the_review_fills_in(tmp_path) -> None:
    data = copy.deepcopy(_BUILTIN)
    data["steps"][4]["hint"] = "This year: {pupil_names}"
    message = _refusal(tmp_path, data)
    assert "steps[4].hint" in message and "{pupil_names}" in message and "{figures}" in message


def test_a_school_rewords_the_questions_in_its_own_file(tmp_path) -> None:
    data = copy.deepcopy(_BUILTIN)
    data["steps"][0]["prompt"] = "Which filter and which monitoring do we use? ({period})"
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "filtering_review.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    flows = load_flows(BUILTIN_FLOWS, folder)
    assert flows["filtering_review"].spec.steps[0].prompt.startswith("Which filter")
