"""The school file's alert rules and their channels: what loads, and every mistake refused at
start with the field named and what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import build_bot
from bot.school.config import SchoolConfigError, load_school_config
from bot.settings import Settings
from tests.alert_rules.fake_notify import API_KEY, TEMPLATE_ID
from tests.conftest import EXAMPLE_CONFIG

DSL_AT = 0  # the DSL is the first person in the example file
SERVER = {"host": "smtp.example.org", "from_address": "bot@example.org"}
SMS = {"template_id": TEMPLATE_ID}


def school(tmp_path: Path, rules: list[Any], **sections: Any) -> Path:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    data["people"][DSL_AT]["alert_rules"] = rules
    data.update(sections)
    path = tmp_path / "school.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problem(path: Path) -> str:
    with pytest.raises(SchoolConfigError) as caught:
        load_school_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert "pydantic" not in message.lower()
    return message.removeprefix(f"{path}: ")


def test_rules_load_with_their_channels(tmp_path: Path) -> None:
    rules = [
        {"channel": "email", "after_minutes": 3},
        {"channel": "sms", "after_minutes": 10, "to": "07700 900123"},
    ]
    config = load_school_config(
        school(tmp_path, rules, alert_email=SERVER, alert_sms={"template_id": TEMPLATE_ID})
    )
    dsl = config.people[DSL_AT]
    email, sms = dsl.alert_rule("email"), dsl.alert_rule("sms")
    assert email is not None and email.to is None and email.after.total_seconds() == 180
    assert sms is not None and sms.to == "07700 900123"
    assert config.alert_email is not None
    assert (config.alert_email.port, config.alert_email.security) == (587, "starttls")
    assert config.people[1].alert_rules == ()


def uncommented(text: str, starts: tuple[str, ...]) -> str:
    """The example with its commented-out blocks headed `# <start>` switched on: the head and
    the lines under it at the same indent written `#   ...`."""
    lines, block = [], None  # the indent of the block being switched on
    for line in text.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith("# ") and stripped[2:] in starts:
            block = indent
        elif indent != block or not stripped.startswith("#   "):
            block = None
        lines.append(indent + stripped[2:] if block is not None else line)
    return "\n".join(lines) + "\n"


def test_the_examples_commented_out_rules_load_once_switched_on(tmp_path: Path) -> None:
    text = uncommented(EXAMPLE_CONFIG.read_text(), ("alert_rules:", "alert_email:", "alert_sms:"))
    path = tmp_path / "school.yaml"
    path.write_text(text)
    config = load_school_config(path)
    assert config.alert_email is not None and config.alert_sms is not None
    assert [rule.channel for rule in config.people[DSL_AT].alert_rules] == ["email", "sms"]


def test_the_example_file_has_no_rule_switched_on() -> None:
    config = load_school_config(EXAMPLE_CONFIG)
    assert config.alert_email is None and config.alert_sms is None
    assert all(person.alert_rules == () for person in config.people)


@pytest.mark.parametrize(
    ("rules", "sections", "expected"),
    [
        (
            [{"channel": "email", "after_minutes": 3}],
            {},
            "people[0].alert_rules[0].channel: email needs the school's alert_email: section",
        ),
        (
            [{"channel": "sms", "after_minutes": 3, "to": "07700 900123"}],
            {"alert_email": SERVER},
            "people[0].alert_rules[0].channel: sms needs the school's alert_sms: section",
        ),
        (
            [{"channel": "sms", "after_minutes": 3}],
            {"alert_sms": SMS},
            "people[0].alert_rules[0].to: a text message needs the mobile number",
        ),
        (
            [{"channel": "sms", "after_minutes": 3, "to": 7700900123}],
            {"alert_sms": SMS},
            "people[0].alert_rules[0].to: put the number in quotes",
        ),
        (
            [{"channel": "sms", "after_minutes": 3, "to": "call me"}],
            {"alert_sms": SMS},
            "people[0].alert_rules[0].to: 'call me' does not look like a phone number",
        ),
        (
            [{"channel": "email", "after_minutes": 3, "to": "not an address"}],
            {"alert_email": SERVER},
            "people[0].alert_rules[0].to: 'not an address' does not look like an e-mail address",
        ),
        (
            [{"channel": "email", "after_minutes": 3}, {"channel": "email", "after_minutes": 9}],
            {"alert_email": SERVER},
            "people[0].alert_rules[1].channel: alert_rules[0] is already for email",
        ),
        (
            [{"channel": "pager", "after_minutes": 3}],
            {},
            "people[0].alert_rules[0].channel: 'pager' is not allowed; use one of email, sms",
        ),
        (
            [{"channel": "email", "after_minutes": -1}],
            {"alert_email": SERVER},
            "people[0].alert_rules[0].after_minutes: input should be greater than or equal to 0",
        ),
        (
            [{"channel": "email"}],
            {"alert_email": SERVER},
            "people[0].alert_rules[0].after_minutes: missing",
        ),
        (
            [],
            {"alert_email": {**SERVER, "security": "ssl"}},
            "alert_email.security: 'ssl' is not allowed; use one of starttls, tls, none",
        ),
        (
            [],
            {"alert_email": {"host": "smtp.example.org"}},
            "alert_email.from_address: missing",
        ),
        (
            [],
            {"alert_email": {**SERVER, "ca_file": "/nowhere/ca.pem"}},
            "alert_email.ca_file: '/nowhere/ca.pem' is not a file",
        ),
        (
            [],
            {"alert_sms": {"template_id": "welcome"}},
            "alert_sms.template_id: 'welcome' is not a Notify template ID",
        ),
        (
            [],
            {"alert_sms": {**SMS, "base_url": "http://notify.example.org"}},
            "alert_sms.base_url: 'http://notify.example.org' must be an https:// address",
        ),
    ],
)
def test_a_mistake_names_its_field(
    tmp_path: Path, rules: list[Any], sections: dict[str, Any], expected: str
) -> None:
    assert problem(school(tmp_path, rules, **sections)).startswith(expected)


def settings(tmp_path: Path, path: Path, **secrets: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        school_config=path,
        **secrets,
    )


def test_a_login_without_its_password_stops_the_bot_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    path = school(tmp_path, [], alert_email={**SERVER, "username": "bot@example.org"})
    with pytest.raises(SchoolConfigError, match=r"alert_email\.username: .*SMTP_PASSWORD"):
        build_bot(settings(tmp_path, path))
    bot = build_bot(settings(tmp_path, path, smtp_password="s3cret"))
    assert "email" in bot.dispatcher.notifiers
    assert "email" not in bot.router.desk.channels  # follow-ups only: never an alert's card


def test_notify_without_its_key_stops_the_bot_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTIFY_API_KEY", raising=False)
    path = school(tmp_path, [], alert_sms=SMS)
    with pytest.raises(SchoolConfigError, match=r"alert_sms: .*NOTIFY_API_KEY"):
        build_bot(settings(tmp_path, path))
    with pytest.raises(SchoolConfigError, match=r"alert_sms: NOTIFY_API_KEY is not a GOV\.UK"):
        build_bot(settings(tmp_path, path, notify_api_key="nonsense"))
    bot = build_bot(settings(tmp_path, path, notify_api_key=API_KEY))
    assert "sms" in bot.dispatcher.notifiers
    assert "sms" not in bot.router.desk.channels
