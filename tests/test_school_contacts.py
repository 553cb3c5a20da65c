"""The school file's contacts beyond the school and its retention periods: the national
routes come with their public numbers, the local ones are shown in the example, and a file
without them still loads, with a warning that names each field to add."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.school.config import SchoolConfigError, load_school_config
from bot.school.contacts import missing_local_contacts

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "school.example.yaml"
_EXAMPLE_DATA: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "school.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def without_local_contacts() -> dict[str, Any]:
    data = copy.deepcopy(_EXAMPLE_DATA)
    del data["contacts"]
    data["allegations"].pop("lado")
    return data


def test_the_national_routes_have_their_public_numbers_and_addresses_by_default() -> None:
    national = load_school_config(EXAMPLE).contacts.national
    assert (national.police_emergency.phone, national.police_non_emergency.phone) == ("999", "101")
    assert national.nspcc.phone == "0808 800 5000"
    assert national.ceop.web == "https://www.ceop.police.uk/safety-centre/"
    assert national.iwf.web == "https://report.iwf.org.uk/"
    assert national.report_harmful_content.web == "https://reportharmfulcontent.com/"


def test_the_example_shows_the_local_contacts_and_warns_of_nothing(caplog) -> None:
    with caplog.at_level(logging.WARNING):
        school = load_school_config(EXAMPLE)
    care = school.contacts.childrens_social_care
    assert care is not None and (care.phone, care.out_of_hours_phone) == (
        "01632 960006",
        "01632 960008",
    )
    assert school.contacts.prevent is not None and school.contacts.prevent.phone == "01632 960007"
    assert school.allegations.lado is not None
    assert missing_local_contacts(school) == []
    assert caplog.records == []


def test_missing_local_contacts_warn_at_start_and_do_not_stop_it(tmp_path, caplog) -> None:
    path = write(tmp_path, without_local_contacts())
    with caplog.at_level(logging.WARNING):
        school = load_school_config(path)  # loads: there is no national default to fall back on
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    fields = ("contacts.childrens_social_care:", "allegations.lado:", "contacts.prevent:")
    for field in fields:
        assert any(w.startswith(f"{path}: {field}") for w in warned), (field, warned)
    assert len(warned) == 3
    assert school.contacts.national.nspcc.phone == "0808 800 5000"


def test_social_care_without_its_out_of_hours_number_is_warned_of(tmp_path, caplog) -> None:
    data = copy.deepcopy(_EXAMPLE_DATA)
    del data["contacts"]["childrens_social_care"]["out_of_hours_phone"]
    with caplog.at_level(logging.WARNING):
        load_school_config(write(tmp_path, data))
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "contacts.childrens_social_care.out_of_hours_phone:" in warning


def test_a_school_can_correct_a_national_route(tmp_path) -> None:
    data = copy.deepcopy(_EXAMPLE_DATA)
    data["contacts"]["national"] = {"nspcc": {"name": "NSPCC", "phone": "0808 800 5001"}}
    national = load_school_config(write(tmp_path, data)).contacts.national
    assert national.nspcc.phone == "0808 800 5001"
    assert national.ceop.web == "https://www.ceop.police.uk/safety-centre/"  # the rest stay


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (
            lambda c: c["childrens_social_care"].update(phone=1632960006),
            "contacts.childrens_social_care.phone",
            "put the number in quotes",
        ),
        (
            lambda c: c.update(national={"ceop": {"name": "CEOP"}}),
            "contacts.national.ceop",
            "give a phone number, a web address (web), or both",
        ),
        (
            lambda c: c.update(national={"iwf": {"name": "IWF", "web": "report.iwf.org.uk"}}),
            "contacts.national.iwf.web",
            "is not a web address; start it with",
        ),
        (lambda c: c.update(mash={}), "contacts.mash", "unknown field"),
    ],
)
def test_a_bad_contact_names_its_field(tmp_path, change, field, problem) -> None:
    data = copy.deepcopy(_EXAMPLE_DATA)
    change(data["contacts"])
    path = write(tmp_path, data)
    with pytest.raises(SchoolConfigError) as caught:
        load_school_config(path)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path}: {field}: "), line
    assert problem in line


def test_retention_periods_by_kind_default_to_the_guidance(tmp_path) -> None:
    retention = load_school_config(EXAMPLE).retention
    assert (retention.review_after_years, retention.allegation_years) == (25, 10)
    assert retention.filtering_years == 6
    data = copy.deepcopy(_EXAMPLE_DATA)
    data["retention"] = {"allegation_years": 9}  # KCSIE: at least 10 years
    with pytest.raises(SchoolConfigError) as caught:
        load_school_config(write(tmp_path, data))
    assert "retention.allegation_years:" in str(caught.value)
