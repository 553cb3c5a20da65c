"""`python -m bot flows show FLOW_ID`: the flow as the bot runs it, a school's `extends:`
resolved, printed as YAML."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.__main__ import main
from dialogs.loader import BUILTIN_FLOWS, load_flows
from dialogs.model import FlowSpec
from tests.support.warm import run_bot


def _run(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_bot(
        *args,
        env={**os.environ, "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": "", **env},
        timeout=60,
    )


@pytest.fixture
def school_flows(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    folder.mkdir()
    ours = {
        "extends": "concern",
        "title": "Report a worry",
        "remove_steps": ["dsl_told_in_person"],
        "steps": [{"id": "where", "kind": "text", "label": "Where", "prompt": "Which room?"}],
    }
    (folder / "concern.yaml").write_text(yaml.safe_dump(ours), encoding="utf-8")
    return folder


def test_flows_show_prints_the_effective_flow(
    tmp_path: Path, school_flows: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("FLOWS_DIR", str(school_flows))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    assert main(["flows", "show", "concern"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"# The flow 'concern' as the bot runs it, from {school_flows / 'concern.yaml'}.\n"
    )
    shown = FlowSpec.model_validate(yaml.safe_load(out))
    assert shown == load_flows(BUILTIN_FLOWS, school_flows)["concern"].spec
    assert shown.title == "Report a worry" and shown.step("where").prompt == "Which room?"
    assert not shown.has_step("dsl_told_in_person")
    assert "extends" not in out and "remove_steps" not in out


def test_flows_show_of_an_unknown_flow_lists_the_flows(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("FLOWS_DIR", raising=False)
    assert main(["flows", "show", "concen"]) == 2
    error = capsys.readouterr().err
    assert "There is no flow 'concen'" in error and "concern, filtering" in error


def test_flows_show_as_it_is_run(tmp_path: Path, school_flows: Path) -> None:
    result = _run("flows", "show", "case_action", tmp_path=tmp_path, FLOWS_DIR=str(school_flows))
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["action"] == "action"
    assert "Something else" in result.stdout
    assert not (tmp_path / "data").exists()  # showing a flow writes nothing

    (school_flows / "concern.yaml").write_text("extends: concern\nremove_steps: [disclosure]\n")
    result = _run("flows", "show", "concern", tmp_path=tmp_path, FLOWS_DIR=str(school_flows))
    assert result.returncode == 2
    assert str(school_flows / "concern.yaml") in result.stderr and "child_words" in result.stderr
    assert "Traceback" not in result.stderr

    result = _run("flows", tmp_path=tmp_path)
    assert result.returncode == 2 and "flows show FLOW_ID" in result.stderr
