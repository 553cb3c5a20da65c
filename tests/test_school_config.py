"""The school configuration file: the example loads, bad files give one clear message."""

import copy
from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from pydantic import ValidationError

from bot.school.config import Person, Role, SchoolConfig, SchoolConfigError, load_school_config

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "school.example.yaml"
LONDON = ZoneInfo("Europe/London")
_EXAMPLE_DATA: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))

Data = dict[str, Any]


def example_data() -> Data:
    return copy.deepcopy(_EXAMPLE_DATA)


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "school.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(SchoolConfigError) as caught:
        load_school_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    for line in message.splitlines():
        assert line.startswith(f"{path}: "), line
    lowered = message.lower()
    assert "pydantic" not in lowered
    assert "http" not in lowered
    assert "traceback" not in lowered
    assert "validation error" not in lowered
    return message


@pytest.fixture
def config() -> SchoolConfig:
    return load_school_config(EXAMPLE)


# --- the example ---------------------------------------------------------------------------------


def test_example_loads(config: SchoolConfig) -> None:
    assert config.name == "Example Primary School"
    assert config.timezone == "Europe/London"
    assert config.tz == LONDON
    assert config.school_hours.days == ("mon", "tue", "wed", "thu", "fri")
    assert config.school_hours.start == time(8, 0)
    assert config.school_hours.end == time(16, 30)
    assert config.emergency_contacts.police.phone.startswith("01632 960")
    assert config.emergency_contacts.local_authority.phone.startswith("01632 960")
    assert len(config.emergency_contacts.out_of_hours) == 1
    assert config.filtering_provider.name == "Example Filtering Services Ltd"
    assert all(p.email.endswith("@example.org") for p in config.people)


def test_example_has_the_roles_the_brief_asks_for(config: SchoolConfig) -> None:
    assert len(config.people_with(Role.DSL)) == 1
    assert len(config.people_with(Role.DEPUTY_DSL)) == 2
    assert len(config.people_with(Role.HEADTEACHER)) == 1
    assert len(config.people_with(Role.ICT)) == 1
    chair = config.chair_of_governors
    assert chair is not None
    assert chair.has_role(Role.GOVERNOR)
    only_staff = [p for p in config.people if p.roles == (Role.STAFF,)]
    assert 4 <= len(only_staff) <= 5


def test_alerts_keep_the_report_out_unless_a_school_asks(
    config: SchoolConfig, tmp_path: Path
) -> None:
    """A child's words do not belong on a phone's lock screen: off in the example, and off for
    a school that says nothing about it."""
    assert config.alerts.details_in_alert is False
    data = example_data()
    del data["alerts"]["details_in_alert"]
    assert load_school_config(write(tmp_path, data)).alerts.details_in_alert is False
    data["alerts"]["details_in_alert"] = True
    assert load_school_config(write(tmp_path, data)).alerts.details_in_alert is True


def test_config_is_frozen(config: SchoolConfig) -> None:
    with pytest.raises(ValidationError):
        config.name = "Other School"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        config.people[0].email = "someone@example.org"  # type: ignore[misc]


# --- helpers -------------------------------------------------------------------------------------


def test_person_lookup_is_case_insensitive(config: SchoolConfig) -> None:
    found = config.person("  A.Hartley@EXAMPLE.org ")
    assert found is not None
    assert found.name == "Alice Hartley"
    assert found.email == "a.hartley@example.org"
    assert config.person("nobody@example.org") is None


def test_emails_are_normalised_to_lower_case(tmp_path: Path) -> None:
    data = example_data()
    data["people"][0]["email"] = "A.Hartley@Example.ORG"
    data["chair_of_governors_email"] = "J.Whitcombe@EXAMPLE.org"
    config = load_school_config(write(tmp_path, data))
    assert config.people[0].email == "a.hartley@example.org"
    assert config.chair_of_governors_email == "j.whitcombe@example.org"


def test_people_with_any_of_the_roles_in_file_order(config: SchoolConfig) -> None:
    leads = config.people_with(Role.DSL, Role.DEPUTY_DSL)
    assert [p.name for p in leads] == ["Alice Hartley", "Daniel Osei", "Petra Lindqvist"]
    assert config.people_with("deputy_dsl") == leads[1:]
    staff = config.people_with(Role.STAFF)
    assert len(staff) == 10
    assert all(p.has_role("staff") for p in staff)
    assert config.person("j.whitcombe@example.org") not in staff
    assert config.people_with() == []


def test_person_roles(config: SchoolConfig) -> None:
    dsl, deputy, head = config.people[0], config.people[1], config.people[3]
    assert dsl.is_safeguarding_lead
    assert deputy.is_safeguarding_lead
    assert not head.is_safeguarding_lead
    assert head.has_role(Role.HEADTEACHER)
    assert head.has_role("staff")
    assert not head.has_role(Role.DSL)
    with pytest.raises(ValueError, match="teacher"):
        head.has_role("teacher")


def test_person_is_hashable_and_compares_by_value() -> None:
    one = Person(email="X@Example.org", name="X", roles=(Role.STAFF,))
    other = Person(email="x@example.org", name="X", roles=(Role.STAFF,))
    assert one == other
    assert len({one, other}) == 1


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Summer (BST, UTC+1): 07:30 UTC is 08:30 in London, so school has started.
        (datetime(2025, 7, 1, 7, 30, tzinfo=UTC), True),
        # 15:45 UTC is 16:45 in London: after the 16:30 end, though before it in UTC.
        (datetime(2025, 7, 1, 15, 45, tzinfo=UTC), False),
        # Winter (GMT): 07:30 UTC is 07:30 in London, before 08:00.
        (datetime(2025, 1, 7, 7, 30, tzinfo=UTC), False),
        (datetime(2025, 1, 7, 8, 15, tzinfo=UTC), True),
        # The start is included, the end is not.
        (datetime(2025, 7, 1, 8, 0, tzinfo=LONDON), True),
        (datetime(2025, 7, 1, 16, 29, 59, tzinfo=LONDON), True),
        (datetime(2025, 7, 1, 16, 30, tzinfo=LONDON), False),
        # Weekend, mid-morning in London.
        (datetime(2025, 7, 5, 10, 0, tzinfo=LONDON), False),
        (datetime(2025, 7, 6, 10, 0, tzinfo=LONDON), False),
        # Saturday 01:00 in Auckland (UTC+12) is Friday 14:00 in London: in school hours.
        (datetime(2025, 7, 5, 1, 0, tzinfo=ZoneInfo("Pacific/Auckland")), True),
        # Monday 03:30 in New York (UTC-4) is Monday 08:30 in London.
        (datetime(2025, 7, 7, 3, 30, tzinfo=ZoneInfo("America/New_York")), True),
        # Friday 20:00 in New York is Saturday 01:00 in London.
        (datetime(2025, 7, 4, 20, 0, tzinfo=ZoneInfo("America/New_York")), False),
    ],
)
def test_is_school_hours(config: SchoolConfig, moment: datetime, expected: bool) -> None:
    assert config.is_school_hours(moment) is expected


def test_is_school_hours_needs_an_aware_datetime(config: SchoolConfig) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        config.is_school_hours(datetime(2025, 7, 1, 10, 0))


def test_days_default_to_monday_to_friday_and_can_include_saturday(tmp_path: Path) -> None:
    data = example_data()
    del data["school_hours"]["days"]
    config = load_school_config(write(tmp_path, data))
    assert config.school_hours.days == ("mon", "tue", "wed", "thu", "fri")
    data["school_hours"]["days"] = ["mon", "sat"]
    saturday = datetime(2025, 7, 5, 10, 0, tzinfo=LONDON)
    assert load_school_config(write(tmp_path, data)).is_school_hours(saturday)


def test_unquoted_times_are_read_as_times(tmp_path: Path) -> None:
    # YAML 1.1 would read 16:30 as the base-60 number 990; the loader keeps it as text.
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('start: "08:00"', "start: 8:15").replace('end: "16:30"', "end: 16:30")
    assert "end: 16:30\n" in text
    path = tmp_path / "school.yaml"
    path.write_text(text, encoding="utf-8")
    hours = load_school_config(path).school_hours
    assert (hours.start, hours.end) == (time(8, 15), time(16, 30))


# --- bad files -----------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "config" / "school.yaml"
    message = load_error(path)
    assert "file not found" in message
    assert "school.example.yaml" in message


def test_invalid_yaml_gives_the_line(tmp_path: Path) -> None:
    path = tmp_path / "school.yaml"
    path.write_text(
        "name: Example Primary School\n"
        "timezone: Europe/London\n"
        "school_hours:\n"
        '  start: "08:00"\n'
        '   end: "16:30"\n',
        encoding="utf-8",
    )
    message = load_error(path)
    assert "line 5" in message
    assert "not valid YAML" in message
    assert "\n" not in message


def test_tabs_are_explained(tmp_path: Path) -> None:
    path = tmp_path / "school.yaml"
    path.write_text("name: x\nschool_hours:\n\tstart: '08:00'\n", encoding="utf-8")
    message = load_error(path)
    assert "line 3" in message
    assert "spaces, not tabs" in message


def test_a_key_given_twice_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "school.yaml"
    path.write_text("name: One\ntimezone: Europe/London\nname: Two\n", encoding="utf-8")
    message = load_error(path)
    assert "line 3" in message
    assert "'name' is given twice" in message


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("- name: Example Primary School\n", "the top level must be 'key: value' lines"),
        ("just some text\n", "the top level must be 'key: value' lines"),
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
    ],
)
def test_top_level_must_be_a_mapping(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "school.yaml"
    path.write_text(content, encoding="utf-8")
    assert reason in load_error(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "school.yaml"
    path.write_bytes(b"name: Caf\xe9 School\n")
    assert "not UTF-8" in load_error(path)


def test_the_example_from_the_brief(tmp_path: Path) -> None:
    data = example_data()
    data["people"][2]["roles"][0] = "teacher"
    path = write(tmp_path, data)
    assert load_error(path) == (
        f"{path}: people[2].roles[0]: 'teacher' is not a role; "
        "use one of staff, dsl, deputy_dsl, headteacher, ict, governor"
    )


def _set(*keys: str | int, value: object) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def _delete(*keys: str | int) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return change


def _no_dsl(data: Data) -> None:
    data["people"][0]["roles"] = ["staff"]


def _two_headteachers(data: Data) -> None:
    data["people"][6]["roles"] = ["headteacher", "staff"]


BAD_VARIANTS: list[tuple[str, Callable[[Data], None], str, str]] = [
    ("unknown top field", _set("nmae", value="x"), "nmae", "unknown field; did you mean name?"),
    (
        "unknown nested field",
        _set("school_hours", "strat", value="08:00"),
        "school_hours.strat",
        "unknown field; did you mean start?",
    ),
    (
        "unknown field, nothing close",
        _set("people", 1, "favourite_colour", value="blue"),
        "people[1].favourite_colour",
        "unknown field; the fields here are email, name, roles",
    ),
    ("missing field", _delete("filtering_provider"), "filtering_provider", "required"),
    ("missing nested field", _delete("people", 4, "name"), "people[4].name", "required"),
    ("empty name", _set("name", value=""), "name", "must not be empty"),
    ("blank name", _set("name", value="   "), "name", "must not be empty"),
    ("name with no value", _set("name", value=None), "name", "has no value"),
    ("name not text", _set("name", value=["a"]), "name", "must be text, not a list"),
    (
        "bad timezone",
        _set("timezone", value="Europe/Londn"),
        "timezone",
        "'Europe/Londn' is not a known timezone; use an IANA name such as Europe/London",
    ),
    ("timezone path", _set("timezone", value="../etc/passwd"), "timezone", "not a known timezone"),
    (
        "bad time format",
        _set("school_hours", "start", value="8.30am"),
        "school_hours.start",
        "'8.30am' is not a time; write it as HH:MM",
    ),
    (
        "hour out of range",
        _set("school_hours", "end", value="25:00"),
        "school_hours.end",
        "'25:00' is not a time",
    ),
    (
        "end before start",
        _set("school_hours", "end", value="07:00"),
        "school_hours.end",
        "07:00 must be after the start (08:00)",
    ),
    (
        "bad day",
        _set("school_hours", "days", value=["mon", "tuesday"]),
        "school_hours.days[1]",
        "'tuesday' is not a day; use one of mon, tue, wed, thu, fri, sat, sun",
    ),
    ("no days", _set("school_hours", "days", value=[]), "school_hours.days", "at least 1"),
    ("no roles", _set("people", 7, "roles", value=[]), "people[7].roles", "at least 1"),
    (
        "roles not a list",
        _set("people", 7, "roles", value="staff"),
        "people[7].roles",
        "must be a list",
    ),
    (
        "bad email",
        _set("people", 3, "email", value="martin.fenwick"),
        "people[3].email",
        "'martin.fenwick' does not look like an e-mail address",
    ),
    (
        "duplicate email",
        _set("people", 8, "email", value="D.Osei@Example.org"),
        "people[8].email",
        "'d.osei@example.org' is already used by people[1]",
    ),
    ("no dsl", _no_dsl, "people", "nobody has the dsl role"),
    (
        "two headteachers",
        _two_headteachers,
        "people[6].roles",
        "people[3] is already the headteacher",
    ),
    (
        "chair not a governor",
        _set("chair_of_governors_email", value="t.brannigan@example.org"),
        "chair_of_governors_email",
        "'t.brannigan@example.org' is not a person with the governor role",
    ),
    (
        "chair not in people",
        _set("chair_of_governors_email", value="chair@example.org"),
        "chair_of_governors_email",
        "is not a person with the governor role",
    ),
    (
        "unquoted phone number",
        _set("emergency_contacts", "police", "phone", value=999),
        "emergency_contacts.police.phone",
        "put the number in quotes",
    ),
    (
        "bad contact email",
        _set("filtering_provider", "email", value="helpdesk"),
        "filtering_provider.email",
        "does not look like an e-mail address",
    ),
    (
        "out_of_hours not a list",
        _set("emergency_contacts", "out_of_hours", value="call the council"),
        "emergency_contacts.out_of_hours",
        "must be a list",
    ),
    (
        "contact not a section",
        _set("emergency_contacts", "police", value="01632 960001"),
        "emergency_contacts.police",
        "must be a section of 'key: value' lines, not the text '01632 960001'",
    ),
]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [pytest.param(change, field, reason, id=name) for name, change, field, reason in BAD_VARIANTS],
)
def test_bad_value_names_file_field_and_reason(
    tmp_path: Path, change: Callable[[Data], None], field: str, reason: str
) -> None:
    data = example_data()
    change(data)
    path = write(tmp_path, data)
    message = load_error(path)
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"{path}: {field}: "), message
    assert reason in message


def test_every_problem_is_reported_one_per_line(tmp_path: Path) -> None:
    data = example_data()
    data["timezone"] = "Mars/Olympus_Mons"
    data["people"][2]["roles"][0] = "teacher"
    data["school_hours"]["strat"] = "08:00"
    del data["filtering_provider"]
    path = write(tmp_path, data)
    lines = load_error(path).splitlines()
    assert len(lines) == 4
    assert {line.split(": ")[1] for line in lines} == {
        "timezone",
        "people[2].roles[0]",
        "school_hours.strat",
        "filtering_provider",
    }


def test_error_keeps_the_problems_for_callers(tmp_path: Path) -> None:
    data = example_data()
    data["name"] = ""
    path = write(tmp_path, data)
    with pytest.raises(SchoolConfigError) as caught:
        load_school_config(path)
    assert caught.value.path == path
    assert caught.value.problems == ["name: must not be empty"]


def test_lookups_follow_a_copy_with_other_people(config: SchoolConfig) -> None:
    dsl = config.person("A.Hartley@Example.org")
    assert dsl is not None and dsl.has_role(Role.DSL)
    others = config.model_copy(update={"people": tuple(p for p in config.people if p != dsl)})
    assert others.person(dsl.email) is None  # not the original's answer
    assert config.person(dsl.email) == dsl
    assert [p.email for p in config.people_with(Role.DEPUTY_DSL, Role.DSL)] == [
        p.email for p in config.people if p.is_safeguarding_lead
    ]
    assert dsl not in others.people_with(Role.DSL)
