"""The school file's rota: who is on duty first on each day, refused when it names the wrong
people, and `python -m bot oncall` printing it."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.school.config import SchoolConfig, SchoolConfigError, load_school_config
from bot.school.rota import duty_at
from tests.conftest import example_config_with
from tests.support.clock import FakeClock
from tests.support.rota import DANIEL, DSL, HEAD, PETRA, ROTA, example_rota_block
from tests.support.warm import run_bot


def _school(tmp_path: Path, rota: dict[str, Any] | None) -> SchoolConfig:
    return load_school_config(example_config_with(tmp_path, rota=rota))


def _on_duty(school: SchoolConfig, clock: FakeClock) -> tuple[bool, tuple[str, ...]]:
    duty = duty_at(school, clock())
    assert duty is not None
    return duty.in_hours, duty.emails


def _at(day: int, month: int = 12, hour: int = 10) -> FakeClock:
    return FakeClock(datetime(2026, month, day, hour, 0, tzinfo=UTC))


def test_the_rota_picks_the_person_of_each_weekday(tmp_path):
    school = _school(tmp_path, ROTA)
    week_a = {7: DSL, 8: DANIEL, 9: DSL, 10: DANIEL, 11: PETRA}  # Monday 7 December: week A
    for day, email in week_a.items():
        assert _on_duty(school, _at(day)) == (True, (email,)), day


def test_week_b_has_its_own_monday_and_week_a_comes_back(tmp_path):
    school = _school(tmp_path, ROTA)
    assert _on_duty(school, _at(23, 11)) == (True, (DSL,))  # week A
    assert _on_duty(school, _at(30, 11)) == (True, (PETRA,))  # week B
    assert _on_duty(school, _at(1, 12)) == (True, (DANIEL,))  # week B's Tuesday: weekdays
    assert _on_duty(school, _at(7, 12)) == (True, (DSL,))  # week A again


def test_an_override_wins_for_exactly_its_dates(tmp_path):
    school = _school(tmp_path, ROTA)
    assert _on_duty(school, _at(23, 11)) == (True, (DSL,))  # the day before
    assert _on_duty(school, _at(24, 11)) == (True, (PETRA,))  # Tuesday: Daniel's day
    assert _on_duty(school, _at(25, 11)) == (True, (PETRA,))  # Wednesday: Alice's day
    assert _on_duty(school, _at(26, 11)) == (True, (DANIEL,))  # the day after


def test_out_of_hours_the_plan_s_people_are_on_duty(tmp_path):
    school = _school(tmp_path, ROTA)
    assert _on_duty(school, _at(24, 11, hour=16)) == (True, (PETRA,))  # 16:00 London
    assert _on_duty(school, _at(24, 11, hour=17)) == (False, (HEAD, DSL))  # 17:00 London
    assert _on_duty(school, _at(28, 11)) == (False, (HEAD, DSL))  # a Saturday


def test_no_rota_means_no_duty(tmp_path):
    assert duty_at(_school(tmp_path, None), FakeClock()()) is None


def test_the_example_file_s_rota_is_valid(tmp_path):
    school = _school(tmp_path, example_rota_block())
    assert _on_duty(school, _at(16, 11)) == (True, (PETRA,))  # its override
    assert _on_duty(school, _at(23, 11)) == (True, (PETRA,))  # a week B Monday
    assert _on_duty(school, _at(30, 11)) == (True, (DSL,))  # a week A Monday


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"weekdays": {"mon": "r.adeyemi@example.org"}}, "rota.weekdays.mon", "cannot be on duty"),
        ({"weekdays": {"tue": HEAD}}, "rota.weekdays.tue", "dsl or deputy_dsl"),
        ({"weekdays": {"monday": DSL}}, "rota.weekdays.monday", "did you mean mon?"),
        ({"week_b": {"mon": "nobody@example.org"}, "week_a_starts": "2026-09-07"},
         "rota.week_b.mon", "not one of the people"),
        ({"overrides": [{"start": "2026-11-24", "end": "2026-11-25",
                         "person": "t.brannigan@example.org"}]},
         "rota.overrides[0].person", "cannot be on duty"),
        ({"out_of_hours": {"people": ["r.adeyemi@example.org"]}},
         "rota.out_of_hours.people[0]", "dsl, deputy_dsl or headteacher"),
        ({"week_b": {"mon": DSL}}, "rota.week_a_starts", "week_b needs week_a_starts"),
        ({"overrides": [{"start": "2026-11-24", "end": "2026-11-20", "person": DSL}]},
         "rota.overrides[0].end", "before the start"),
        ({"overrides": [{"start": "2026-11-24", "end": "2026-11-26", "person": DSL},
                        {"start": "2026-11-26", "end": "2026-11-27", "person": PETRA}]},
         "rota.overrides[1].start", "may not overlap"),
    ],
)  # fmt: skip
def test_a_rota_naming_the_wrong_people_is_refused_naming_the_field(
    tmp_path, change, field, problem
):
    with pytest.raises(SchoolConfigError) as refused:
        _school(tmp_path, change)
    message = str(refused.value)
    assert f"{field}:" in message, message
    assert problem in message, message


def _oncall(
    tmp_path: Path, rota: dict[str, Any] | None, at: str
) -> subprocess.CompletedProcess[str]:
    config = example_config_with(tmp_path, rota=rota)
    env = {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": "", "SCHOOL_CONFIG": str(config)}
    return run_bot("oncall", "--at", at, env={**os.environ, **env}, timeout=60)


def test_oncall_prints_now_today_and_each_school_day_of_next_week(tmp_path):
    result = _oncall(tmp_path, ROTA, "2026-11-24T10:30")  # Tuesday, week A, overridden
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "On call at Example Primary School",
        "Now: Petra Lindqvist (school hours)",
        "Today (Tue 24 Nov): Petra Lindqvist (school hours); "
        "out of hours: Martin Fenwick, Alice Hartley",
        "Next week: Mon 30 Nov: Petra Lindqvist (school hours); "
        "out of hours: Martin Fenwick, Alice Hartley",
        "Next week: Tue 1 Dec: Daniel Osei (school hours); "
        "out of hours: Martin Fenwick, Alice Hartley",
        "Next week: Wed 2 Dec: Alice Hartley (school hours); "
        "out of hours: Martin Fenwick, Alice Hartley",
        "Next week: Thu 3 Dec: Daniel Osei (school hours); "
        "out of hours: Martin Fenwick, Alice Hartley",
        "Next week: Fri 4 Dec: Petra Lindqvist (school hours); "
        "out of hours: Martin Fenwick, Alice Hartley",
    ]


def test_oncall_out_of_hours_and_on_a_closed_day(tmp_path):
    result = _oncall(tmp_path, ROTA, "2026-11-28T11:00")  # a Saturday
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == "Now: out of hours: Martin Fenwick, Alice Hartley"
    assert lines[2] == (
        "Today (Sat 28 Nov): school closed: out of hours all day, Martin Fenwick, Alice Hartley"
    )
    assert lines[3].startswith("Next week: Mon 30 Nov: Petra Lindqvist")


def test_oncall_without_a_rota_says_so(tmp_path):
    result = _oncall(tmp_path, None, "2026-11-24T10:30")
    assert result.returncode == 0, result.stderr
    assert "no rota" in result.stdout and "the DSL and the deputies first" in result.stdout


def test_oncall_with_a_bad_rota_names_the_field(tmp_path):
    result = _oncall(tmp_path, {"weekdays": {"mon": "r.adeyemi@example.org"}}, "2026-11-24")
    assert result.returncode == 2
    assert "rota.weekdays.mon" in result.stderr and "Traceback" not in result.stderr
