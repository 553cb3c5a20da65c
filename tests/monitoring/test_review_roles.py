"""The DfE filtering and monitoring standard's named roles in the school file: the senior leader
and the governor responsible, the providers, and the day the annual review opens. A file that
does not name one still loads; `python -m bot check` warns, naming the field."""

from __future__ import annotations

import copy
import logging
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.school.config import SchoolConfigError, load_school_config
from bot.school.filtering_standard import filtering_provider_name, missing_named_roles
from bot.settings import PROJECT_ROOT
from tests.support.warm import run_bot

EXAMPLE = PROJECT_ROOT / "config" / "school.example.yaml"
_DATA: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "school.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_example_names_every_role_and_its_review_day() -> None:
    school = load_school_config(EXAMPLE)
    section = school.filtering_and_monitoring
    assert section.senior_leader == "m.fenwick@example.org"
    assert section.governor == "j.whitcombe@example.org"
    assert section.monitoring_provider == "Example Monitoring Services Ltd"
    assert section.review_day(2026).isoformat() == "2026-09-15"
    assert missing_named_roles(school) == []


def test_the_filtering_provider_defaults_to_the_school_files_provider(tmp_path) -> None:
    data = copy.deepcopy(_DATA)
    del data["filtering_and_monitoring"]["filtering_provider"]
    school = load_school_config(write(tmp_path, data))
    assert filtering_provider_name(school) == "Example Filtering Services Ltd"


def test_a_bad_review_date_stops_the_bot_naming_the_field(tmp_path) -> None:
    data = copy.deepcopy(_DATA)
    data["filtering_and_monitoring"]["review_date"] = "31-09"
    with pytest.raises(SchoolConfigError) as raised:
        load_school_config(write(tmp_path, data))
    assert "filtering_and_monitoring.review_date" in str(raised.value)
    assert "MM-DD" in str(raised.value)


def test_a_governor_who_is_not_a_governor_is_warned_of(tmp_path) -> None:
    data = copy.deepcopy(_DATA)
    data["filtering_and_monitoring"]["governor"] = "t.brannigan@example.org"
    (problem,) = missing_named_roles(load_school_config(write(tmp_path, data)))
    assert problem.startswith("filtering_and_monitoring.governor:")
    assert "governor role" in problem


def test_check_warns_of_each_missing_role_and_still_passes(tmp_path, caplog) -> None:
    data = copy.deepcopy(_DATA)
    del data["filtering_and_monitoring"]
    school = write(tmp_path, data)
    result = run_bot(
        "check",
        env={
            **os.environ,
            "DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": "",
            "SCHOOL_CONFIG": str(school),
        },
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout
    for field in ("senior_leader", "governor", "monitoring_provider"):
        assert f"filtering_and_monitoring.{field}:" in result.stderr, (field, result.stderr)


def test_the_example_starts_without_a_warning_about_them(caplog) -> None:
    from bot.school.filtering_standard import warn_missing_named_roles

    with caplog.at_level(logging.WARNING):
        assert warn_missing_named_roles(load_school_config(EXAMPLE)) == []
    assert caplog.records == []
