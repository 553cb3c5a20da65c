"""docker-compose.yml, checked statically (no Docker engine here): PostgreSQL, two web replicas,
one scheduler, and an environment the bot really reads, with no secret written into it."""

from __future__ import annotations

import re
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT, Settings

COMPOSE_TEXT = (PROJECT_ROOT / "docker-compose.yml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
SERVICES: dict[str, Any] = COMPOSE["services"]


def _command(service: str) -> list[str]:
    return list(SERVICES[service]["command"])


def test_postgres_two_web_replicas_and_one_scheduler():
    assert SERVICES["postgres"]["image"].startswith("postgres:15")
    assert "healthcheck" in SERVICES["postgres"]
    assert _command("web")[-2:] == ["--role", "web"]
    assert SERVICES["web"]["deploy"]["replicas"] == 2
    assert _command("scheduler")[-2:] == ["--role", "scheduler"]
    assert SERVICES["scheduler"]["deploy"]["replicas"] == 1
    for service in ("web", "scheduler"):
        assert _command(service)[:4] == ["python", "-m", "bot", "run"]
        assert SERVICES[service]["build"] == "."
        waits_for = SERVICES[service]["depends_on"]["postgres"]["condition"]
        assert waits_for == "service_healthy"


def test_every_bot_variable_is_a_setting_and_the_database_is_postgres():
    settings = {name.upper() for name in Settings.model_fields}
    for service in ("web", "scheduler"):
        environment = SERVICES[service]["environment"]
        unknown = set(environment) - settings
        assert not unknown, f"{service} sets variables the bot does not read: {unknown}"
        assert environment["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        # Off unless the school turns it on with its own sign-in (the demo one is no good here).
        assert environment["WEB_CHAT_ENABLED"] == "${WEB_CHAT_ENABLED:-false}"


def test_no_secret_is_written_in_and_the_required_ones_must_be_given():
    secrets = ["POSTGRES_PASSWORD", "ENCRYPTION_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
    secrets += ["TEAMS_APP_PASSWORD", "SMTP_PASSWORD", "NOTIFY_API_KEY"]
    secrets += ["OIDC_CLIENT_SECRET", "WEB_SESSION_SECRET"]
    for name in secrets:
        for value in re.findall(rf"{name}: (.+)", COMPOSE_TEXT):
            assert value.strip().startswith("${"), f"{name} is written into the file: {value}"
    # Without these the stack must refuse to start rather than run with an empty password/key.
    assert "${POSTGRES_PASSWORD:?" in COMPOSE_TEXT
    assert "${ENCRYPTION_KEY:?" in COMPOSE_TEXT


def test_the_header_documents_every_variable_it_uses():
    header = COMPOSE_TEXT.split("\nx-bot:")[0]
    used = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE_TEXT))
    undocumented = {name for name in used if name not in header}
    assert not undocumented, f"explain these at the top of docker-compose.yml: {undocumented}"


def test_empty_optional_variables_mean_not_set(monkeypatch):
    # Compose passes ${SLACK_BOT_TOKEN:-} as an empty string when the school has no Slack.
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "TEAMS_APP_ID", "TEAMS_TENANT_ID"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("SMTP_PASSWORD", "")
    monkeypatch.setenv("NOTIFY_API_KEY", "")
    for name in ("PUBLIC_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_ISSUER"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("OIDC_PRESET", "generic")
    settings = Settings()
    assert not settings.oidc_enabled and settings.sign_in_problem() is None
    assert settings.smtp_password is None and settings.notify_api_key is None
    assert not settings.slack_enabled and not settings.teams_enabled
    assert settings.slack_problem() is None and settings.teams_problem() is None
