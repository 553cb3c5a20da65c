"""The trust file (bot/school/trust.py): a trust's schools, each from its own school file, and
the trust's people. Checked whole: every problem of every file, each naming its file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.school.config import load_school_config
from bot.school.trust import (
    SINGLE_SCHOOL_KEY,
    TrustConfigError,
    TrustRole,
    load_trust,
    one_school,
)
from bot.settings import PROJECT_ROOT

EXAMPLE_SCHOOL = PROJECT_ROOT / "config" / "school.example.yaml"
EXAMPLE_TRUST = PROJECT_ROOT / "config" / "trust.example.yaml"
STAFF = "t.brannigan@example.org"  # staff in the example school


def _school(folder: Path, name: str, *, replace: tuple[str, str] | None = None) -> Path:
    text = EXAMPLE_SCHOOL.read_text().replace(
        "name: Example Primary School", f"name: {name.title()}"
    )
    if replace is not None:
        assert replace[0] in text, replace
        text = text.replace(*replace)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def _trust(folder: Path, body: str) -> Path:
    path = folder / "trust.yaml"
    path.write_text(body)
    return path


def test_the_example_trust_file_is_valid():
    trust = load_trust(EXAMPLE_TRUST)

    assert list(trust.schools) == ["example-primary"]
    assert trust.schools["example-primary"].name == "Example Primary School"
    assert trust.pupils == {"example-primary": 210}
    assert trust.roles_of("K.Okafor@Example.org ") == {TrustRole.SAFEGUARDING_LEAD}
    assert trust.roles_of("trust.it@example.org") == {TrustRole.IT}
    assert trust.roles_of(STAFF) == frozenset()  # a school's staff hold no trust role


def test_a_person_in_two_schools_is_found_in_both(tmp_path):
    _school(tmp_path, "oakfield")
    _school(tmp_path, "riverside")
    trust = load_trust(
        _trust(
            tmp_path,
            "name: T\nschools:\n  - {key: oakfield, file: oakfield.yaml}\n"
            "  - {key: riverside, file: riverside.yaml}\n",
        )
    )

    assert trust.schools_of(STAFF) == ("oakfield", "riverside")  # so a report asks which
    assert trust.schools_of("nobody@example.org") == ()
    assert trust.schools["riverside"].name == "Riverside"


def test_one_school_is_a_trust_of_that_school():
    school = load_school_config(EXAMPLE_SCHOOL)
    trust = one_school(school)

    assert dict(trust.schools) == {SINGLE_SCHOOL_KEY: school}
    assert trust.schools_of(STAFF) == (SINGLE_SCHOOL_KEY,)
    assert trust.people == () and trust.pupils == {}


def test_every_bad_school_file_is_named_with_its_problem(tmp_path):
    _school(tmp_path, "oakfield", replace=("timezone: Europe/London", "timezone: Mars/Olympus"))
    _school(tmp_path, "riverside", replace=("roles: [dsl, staff]", "roles: [trust_it]"))
    path = _trust(
        tmp_path,
        "name: T\nschools:\n  - {key: oakfield, file: oakfield.yaml}\n"
        "  - {key: riverside, file: riverside.yaml}\n  - {key: hillside, file: hillside.yaml}\n",
    )

    with pytest.raises(TrustConfigError) as raised:
        load_trust(path)

    said: dict[str, list[str]] = {}
    for line in str(raised.value).splitlines():
        file, problem = line.split(": ", 1)
        said.setdefault(Path(file).name, []).append(problem)
    assert list(said) == ["oakfield.yaml", "riverside.yaml", "hillside.yaml"], said
    assert "Mars/Olympus" in said["oakfield.yaml"][0]
    # A trust role is the trust file's alone.
    assert said["riverside.yaml"][0].startswith("people[0].roles[0]: 'trust_it' is not a role")
    assert said["hillside.yaml"][0].startswith("file not found")


@pytest.mark.parametrize(
    ("schools", "expected"),
    [
        ("  - {key: Oak Field, file: a.yaml}\n", "schools[0].key: 'Oak Field' is not a school key"),
        (
            "  - {key: a, file: a.yaml}\n  - {key: a, file: b.yaml}\n",
            "schools[1].key: 'a' is listed twice",
        ),
        (
            "  - {key: a, file: a.yaml}\n  - {key: b, file: a.yaml}\n",
            "schools[1].file: 'a.yaml' is listed twice",
        ),
        ("  - {key: a, file: a.yaml, pupils: 0}\n", "schools[0].pupils"),
        ("  - {key: a, file: a.yaml, pupil: 3}\n", "schools[0].pupil: unknown field"),
        ("  []\n", "schools: list at least one school"),
    ],
)
def test_a_bad_trust_file_says_where_and_why(tmp_path, schools, expected):
    _school(tmp_path, "a")
    path = _trust(tmp_path, f"name: T\nschools:\n{schools}")

    with pytest.raises(TrustConfigError) as raised:
        load_trust(path)

    (line,) = str(raised.value).splitlines()
    assert line.startswith(f"{path}: {expected}"), line


def test_the_trust_people_are_checked(tmp_path):
    _school(tmp_path, "a")
    people = (
        "people:\n  - {email: k@example.org, name: K, roles: [trust_it]}\n"
        "  - {email: K@example.org, name: K2, roles: [dsl]}\n"
    )
    path = _trust(tmp_path, f"name: T\nschools:\n  - {{key: a, file: a.yaml}}\n{people}")

    with pytest.raises(TrustConfigError) as raised:
        load_trust(path)

    text = str(raised.value)
    assert "people[1].roles" in text and "'dsl' is not a role" in text, (
        text
    )  # school roles stay in school files


def test_a_trust_person_is_listed_once(tmp_path):
    _school(tmp_path, "a")
    people = (
        "people:\n  - {email: k@example.org, name: K, roles: [trust_it]}\n"
        "  - {email: K@Example.org, name: K2, roles: [trust_safeguarding_lead]}\n"
        "  - {email: j@example.org, name: J, roles: []}\n"
    )
    path = _trust(tmp_path, f"name: T\nschools:\n  - {{key: a, file: a.yaml}}\n{people}")

    with pytest.raises(TrustConfigError) as raised:
        load_trust(path)

    assert str(raised.value).splitlines() == [
        f"{path}: people[2].roles: give at least one role: trust_safeguarding_lead or trust_it"
    ]
    path.write_text(path.read_text().replace("roles: []", "roles: [trust_it]"))
    with pytest.raises(TrustConfigError) as raised:
        load_trust(path)
    assert (
        str(raised.value)
        == f"{path}: people[1].email: 'k@example.org' is listed twice; each person once"
    )


def test_the_final_level_is_read_and_a_bad_one_named(tmp_path):
    _school(tmp_path, "oakfield")
    body = (
        "name: T\nschools:\n  - {key: oakfield, file: oakfield.yaml}\n"
        "people:\n  - {email: lead@example.org, name: L, roles: [trust_safeguarding_lead]}\n"
    )
    trust = load_trust(_trust(tmp_path, body + "escalation: {after_minutes: 45}\n"))
    assert trust.escalate_after == timedelta(minutes=45)
    assert trust.leads == ("lead@example.org",)
    assert load_trust(_trust(tmp_path, body)).escalate_after is None

    with pytest.raises(TrustConfigError) as caught:
        load_trust(_trust(tmp_path, body + "escalation: {after_minutes: 0}\n"))
    assert "escalation.after_minutes" in str(caught.value)
