"""The school file's `monitoring: email:` section: the example's commented block loads once
switched on, and a bad section stops the bot with a message naming the field."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest

from bot.school.config import SchoolConfigError, load_school_config
from tests.alert_rules.test_alert_rules_config import uncommented
from tests.conftest import EXAMPLE_CONFIG, example_config_with


def test_the_example_receives_no_email_until_switched_on() -> None:
    assert load_school_config(EXAMPLE_CONFIG).monitoring.email is None


def test_the_examples_commented_out_section_loads_once_switched_on(tmp_path: Path) -> None:
    path = tmp_path / "school.yaml"
    path.write_text(uncommented(EXAMPLE_CONFIG.read_text(), ("email:",)))

    email = load_school_config(path).monitoring.email

    assert email is not None
    assert (email.listen_host, email.listen_port) == ("0.0.0.0", 2525)  # noqa: S104
    assert email.recipients == ("monitoring-alerts@example.org",)
    assert email.allowed_relays == (ip_network("192.0.2.25/32"),)
    [senso] = email.templates
    assert senso.severities["urgent"] == "high"
    assert senso.severities["critical"] == "critical"


SECTION: dict[str, Any] = {"recipients": ["Monitoring-Alerts@Example.org"]}
TEMPLATE: dict[str, Any] = {
    "name": "senso",
    "senders": ["@senso.cloud"],
    "labels": {"category": ["Rule Set"], "severity": ["Severity"]},
    "severities": {"Critical": "critical"},
}


def test_addresses_are_read_in_lower_case(tmp_path: Path) -> None:
    path = example_config_with(tmp_path, monitoring__email={**SECTION, "templates": [TEMPLATE]})

    email = load_school_config(path).monitoring.email

    assert email is not None
    assert email.recipients == ("monitoring-alerts@example.org",)
    assert email.templates[0].severities == {"critical": "critical"}


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({}, "monitoring.email.recipients: "),
        (
            {**SECTION, "allowed_relays": ["relay.example.org"]},
            "monitoring.email.allowed_relays: 'relay.example.org' is not an IP address or network",
        ),
        ({**SECTION, "max_message_bytes": 100}, "monitoring.email.max_message_bytes"),
        (
            {**SECTION, "tls": {"cert_file": "/nowhere/bot.pem", "key_file": "/nowhere/bot.key"}},
            "monitoring.email.tls.cert_file: '/nowhere/bot.pem' is not a file",
        ),
        (
            {**SECTION, "templates": [{**TEMPLATE, "severities": {}}]},
            "monitoring.email.templates[0].severities: say how the provider's levels map",
        ),
        (
            {**SECTION, "templates": [{**TEMPLATE, "labels": {"severity": ["Severity"]}}]},
            "monitoring.email.templates[0].labels: say where the category is",
        ),
        (
            {**SECTION, "templates": [{**TEMPLATE, "subject": "[REDFLAG"}]},
            "monitoring.email.templates[0].subject: '[REDFLAG' is not a regular expression",
        ),
        (
            {**SECTION, "templates": [{**TEMPLATE, "senders": ["senso"]}]},
            "monitoring.email.templates[0].senders: 'senso' does not look like an e-mail address",
        ),
        (
            {**SECTION, "templates": [{**TEMPLATE, "senders": ["@"]}]},
            "monitoring.email.templates[0].senders: '@' does not look like a domain with its @",
        ),
        (
            {**SECTION, "templates": [TEMPLATE, TEMPLATE]},
            "monitoring.email.templates[1].name: 'senso' is already used above",
        ),
        (
            {**SECTION, "templates": [{**TEMPLATE, "labels": {"colour": ["Colour"]}}]},
            "monitoring.email.templates[0].labels.colour.[key]: 'colour' is not allowed",
        ),
    ],
)
def test_a_bad_section_names_the_field(
    tmp_path: Path, section: dict[str, Any], expected: str
) -> None:
    path = example_config_with(tmp_path, monitoring__email=section)

    with pytest.raises(SchoolConfigError) as refused:
        load_school_config(path)

    assert expected in str(refused.value)
