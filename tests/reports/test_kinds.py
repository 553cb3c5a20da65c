"""The report kinds registry, and the bot refusing to start with a flow of a kind it lacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import build_bot
from bot.reports import kinds
from bot.settings import PROJECT_ROOT, Settings
from bot.words import strings
from dialogs.loader import BUILTIN_FLOWS, FlowError, load_flows

EXAMPLE_CONFIG = PROJECT_ROOT / "config" / "school.example.yaml"


def report_flow(kind: str) -> dict[str, Any]:
    return {
        "id": "gossip_report",
        "version": 1,
        "title": "Report some gossip",
        "report_kind": kind,
        "intro": "Hello.",
        "help": "Some help.",
        "summary_title": "Your gossip",
        "steps": [{"id": "what", "kind": "text", "label": "What", "prompt": "What was said?"}],
    }


def write_flow(folder: Path, kind: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "gossip_report.yaml"
    path.write_text(yaml.safe_dump(report_flow(kind)), encoding="utf-8")
    return path


def test_the_two_kinds_keep_their_prefixes_labels_and_words() -> None:
    assert [k.id for k in kinds.all_kinds()] == ["concern", "filtering", "monitoring_alert"]
    concern, filtering = kinds.kind("concern"), kinds.kind("filtering")
    assert (concern.reference_prefix, filtering.reference_prefix) == ("OS", "FF")
    assert (concern.label, filtering.label) == ("Online-safety concern", "Filtering or monitoring")
    assert (concern.alert_title, filtering.alert_title) == (
        "Online-safety concern",
        "Filtering report",
    )
    assert (concern.tells_ict, filtering.tells_ict) == (False, True)
    assert (concern.possibly_illegal_also_filed_as, filtering.possibly_illegal_also_filed_as) == (
        None,
        "concern",
    )
    assert kinds.default_kind() is concern
    with pytest.raises(KeyError):
        kinds.kind("gossip")
    assert kinds.find("gossip") is None and kinds.find(None) is None


@pytest.mark.parametrize(
    ("words", "kind_id"),
    [
        ("report", "concern"),
        ("Concern", "concern"),
        ("filtering", "filtering"),
        ("  FILTER ", "filtering"),
        ("monitoring", "filtering"),
        ("report now", None),
        ("help", None),
        ("", None),
    ],
)
def test_a_kind_is_started_by_its_command_words(words: str, kind_id: str | None) -> None:
    found = kinds.kind_for_command(words)
    assert (found.id if found else None) == kind_id


def test_help_names_each_kinds_first_command_word_in_the_same_words_as_before() -> None:
    assert strings.HELP.format(commands=kinds.command_hint()).endswith(
        'Type "report" to report a concern, "filtering" for a filtering or monitoring problem, or '
        "press a button below."
    )


def test_every_builtin_report_flow_files_a_registered_kind() -> None:
    flows = load_flows(BUILTIN_FLOWS)
    kinds.check_report_kinds(flows.values())  # no error
    filed = {f.spec.report_kind for f in flows.values() if f.spec.purpose == "report"}
    assert filed == {k.id for k in kinds.all_kinds() if k.filed_from_chat}


def test_a_kind_the_bot_files_itself_has_no_flow_no_words_and_no_place_in_help() -> None:
    monitoring = kinds.kind("monitoring_alert")
    assert monitoring.filed_from_chat is False
    assert (monitoring.reference_prefix, monitoring.command_words) == ("MA", ())
    assert "monitoring_alert" not in kinds.command_hint()
    assert kinds.kind_for_command("monitoring alert") is None
    assert kinds.kind_for_command("monitoring").id == "filtering"  # a person's report still


def test_a_flow_may_not_file_a_kind_the_bot_files_itself(tmp_path: Path) -> None:
    path = write_flow(tmp_path, "monitoring_alert")
    with pytest.raises(FlowError) as caught:
        kinds.check_report_kinds(load_flows(tmp_path).values())
    assert str(caught.value).startswith(f"{path}: report_kind: Input should be 'concern' or ")
    assert "not 'monitoring_alert'" in str(caught.value)


def test_bad_report_kind(tmp_path: Path) -> None:
    # Moved from tests/dialogs/test_loader.py: dialogs/ no longer knows the kinds; the bot does.
    path = write_flow(tmp_path, "gossip")
    flows = load_flows(tmp_path)  # the shape is fine: the loader takes it
    with pytest.raises(FlowError) as caught:
        kinds.check_report_kinds(flows.values())
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert "report_kind: Input should be 'concern'" in message, message


def test_the_bot_refuses_to_start_with_a_flow_of_an_unknown_kind(tmp_path: Path) -> None:
    path = write_flow(tmp_path / "flows", "gossip")
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        school_config=EXAMPLE_CONFIG,
        flows_dir=tmp_path / "flows",
    )
    with pytest.raises(FlowError) as caught:
        build_bot(settings)
    message = str(caught.value)
    assert message == (
        f"{path}: report_kind: Input should be 'concern' or 'filtering' (the report kinds in "
        "bot/reports/kinds.py), not 'gossip'"
    )
