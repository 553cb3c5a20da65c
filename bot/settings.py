"""Every setting the bot reads from its environment, in one place."""

from __future__ import annotations

import ipaddress
import logging
import os
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from bot.sign_in_settings import SignInSettings, public_origin
from storage.db import POOL_OVERFLOW, POOL_SIZE

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def is_loopback(host: str) -> bool:
    """localhost, or an address of this machine's own (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(SignInSettings):
    """Read from environment variables (or a `.env` file beside the project)."""

    # An empty variable means "not set" (as docker-compose passes ${SLACK_BOT_TOKEN:-}).
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    data_dir: Path = Field(default=Path("data"), description="Where the SQLite file and key live.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means SQLite at DATA_DIR/bot.db.",
    )
    database_pool_size: int = Field(
        default=POOL_SIZE,
        ge=1,
        description="PostgreSQL: connections each process keeps open (SQLite uses one).",
    )
    database_pool_overflow: int = Field(
        default=POOL_OVERFLOW,
        ge=0,
        description="PostgreSQL: connections a process may open beyond the pool at a peak.",
    )
    school_config: Path = Field(
        default=PROJECT_ROOT / "config" / "school.example.yaml",
        description="The school's YAML configuration.",
    )
    school_key: str = Field(
        default="default",
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$",
        description=(
            "Which school of the database this deployment serves (its key: lower-case letters, "
            "digits, hyphens). A database made before schools is `default`. Deployments of "
            "several schools may share one PostgreSQL database, each with its own key: each "
            "sees its own school's records only."
        ),
    )
    trust_config: Path | None = Field(
        default=None,
        description=(
            "A trust's YAML file (config/trust.example.yaml): one deployment serves every "
            "school it lists, each with its own school file and records, and asks someone on "
            "the staff of several which school each conversation is for: on the web chat, and "
            "on Slack and Teams as one app for the whole trust (a school's monitoring alert "
            "e-mails: a deployment of its own, SCHOOL_KEY). Unset: the one school of "
            "SCHOOL_CONFIG."
        ),
    )
    flows_dir: Path | None = Field(
        default=None,
        description=(
            "A folder of the school's own flow files: a file replaces the built-in flow with "
            "its id, or changes it by step id (`extends:`)."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=3978, ge=1, le=65535, description="Port to listen on.")
    http_header_timeout_seconds: float = Field(
        default=15,
        gt=0,
        le=300,
        description="How long a connection may take to send a whole request head (from opening, "
        "or from its previous answer) before it is closed, so half-sent requests (slowloris) "
        "cannot pile up; also how long an idle kept-alive connection is kept.",
    )
    encryption_key: SecretStr | None = Field(
        default=None,
        description="Fernet key(s), comma separated, newest first; empty: DATA_DIR/encryption.key.",
    )
    draft_retention_hours: float = Field(
        default=72, gt=0, description="How long an unfinished report is kept before it is purged."
    )
    draft_reminder_after_minutes: float = Field(
        default=30,
        gt=0,
        description="Idle time after which whoever started an unfinished report is reminded once.",
    )
    draft_reminder_morning: time = Field(
        default=time(8, 30),
        description="When the second reminder goes, on the next school day (school time).",
    )
    draft_purge_grace_hours: float = Field(
        default=48,
        ge=0,
        description="How long after the DSL is told of an unfinished report it is purged.",
    )
    welcome_back_after_minutes: float = Field(
        default=30, ge=0, description="Idle time after which a returning user is reminded."
    )
    web_chat_enabled: bool = Field(default=True, description="Serve the local web chat at /.")
    web_demo_login_remote: bool = Field(
        default=False,
        description="Allow the demo sign-in from other machines (never on a real deployment).",
    )
    web_demo_login: bool | None = Field(
        default=None,
        description="The web chat's demo sign-in (pick a name, no password); empty: on only "
        "when neither Slack nor Teams is configured. Never through a proxy, whatever this says.",
    )
    web_public_origins: str = Field(
        default="",
        description="The web chat's public origin(s), comma separated (https://safety.school.uk)"
        "; empty: http://127.0.0.1:PORT and http://localhost:PORT. Other Host and Origin "
        "headers are refused on the web chat's routes.",
    )
    web_idle_minutes_dsl: float = Field(
        default=30,
        gt=0,
        description="Web chat: minutes without activity after which the DSL's, a deputy's or "
        "the headteacher's sign-in ends.",
    )
    web_idle_minutes_staff: float = Field(
        default=480,
        gt=0,
        description="Web chat: minutes without activity after which anyone else's sign-in ends.",
    )
    role: Literal["all", "web", "scheduler"] = Field(
        default="all",
        description="all: one process does everything; web: chat channels, no scheduled jobs; "
        "scheduler: scheduled jobs and the alert sweep (PostgreSQL only for web/scheduler).",
    )
    leader_retry_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="How often a standby scheduler tries to take over (a dead leader is "
        "replaced within this).",
    )
    alert_sweep_seconds: float = Field(
        default=20.0,
        gt=0,
        le=300,
        description="How often due escalations and alert retries are sent.",
    )
    outbox_lease_seconds: float = Field(
        default=60.0,
        ge=3,
        le=600,
        description="How long a process holds an alert it is sending before another may take "
        "it over (after a crash); a send is given at most a third of it.",
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text, or as one JSON object a line."
    )
    slack_bot_token: SecretStr | None = Field(
        default=None, description="Slack: the Bot User OAuth Token (xoxb-...); turns Slack on."
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="Slack: the app's Signing Secret (HTTP mode)."
    )
    slack_app_token: SecretStr | None = Field(
        default=None, description="Slack: an app-level token (xapp-...) for Socket Mode."
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/", description="Slack: the Web API base URL."
    )
    teams_app_id: str | None = Field(
        default=None, description="Teams: the Azure Bot's Microsoft App ID; turns Teams on."
    )
    teams_app_password: SecretStr | None = Field(
        default=None, description="Teams: a client secret of that app registration."
    )
    teams_tenant_id: str | None = Field(
        default=None, description="Teams: the school's Microsoft Entra tenant (single-tenant)."
    )
    teams_files: bool = Field(
        default=False,
        description="Teams: offer files (the self-audit's CSV) to save to OneDrive; the app "
        "package must be built with it too, which also lets staff attach files to the bot.",
    )
    teams_allow_anonymous: bool = Field(
        default=False,
        description="Teams: accept unsigned requests, for local testing only (loopback HOST).",
    )
    smtp_password: SecretStr | None = Field(
        default=None,
        description="Alert e-mails: the password of the school's SMTP server (`alert_email:` in "
        "the school file, whose `username` it goes with).",
    )
    notify_api_key: SecretStr | None = Field(
        default=None,
        description="Alert text messages: a GOV.UK Notify API key (`alert_sms:` in the school "
        "file).",
    )

    @field_validator("web_public_origins")
    @classmethod
    def _origins_are_origins(cls, value: str) -> str:
        for origin in _split_origins(value):
            if public_origin(origin) is None:
                raise ValueError(
                    f"{origin!r} is not an origin: write the scheme, host and port only, "
                    "for example https://safety.school.example or http://192.168.1.5:3978"
                )
        return value

    @property
    def web_origins(self) -> tuple[str, ...]:
        """The configured public origins of the web chat, normalised; empty: the defaults."""
        listed = (public_origin(o) for o in _split_origins(self.web_public_origins))
        found = [o for o in listed if o]
        if self.public_origin and self.public_origin not in found:
            found.insert(0, self.public_origin)  # PUBLIC_URL is one of them, always
        return tuple(found)

    @property
    def web_demo_login_enabled(self) -> bool:
        if self.web_demo_login is not None:
            return self.web_demo_login
        return not (self.slack_enabled or self.teams_enabled or self.oidc_enabled)

    def web_demo_login_status(self) -> tuple[int, str]:
        """A log level and a line saying whether the demo sign-in is on, and why."""
        both = (
            ("Slack", self.slack_enabled),
            ("Teams", self.teams_enabled),
            ("the school sign-in (OIDC)", self.oidc_enabled),
        )
        configured = [name for name, on in both if on]
        where = " and ".join(configured)
        if self.web_demo_login is None:
            if configured:
                return logging.INFO, (
                    f"web chat: the demo sign-in is off because {where} "
                    f"{'is' if len(configured) == 1 else 'are'} configured "
                    "(WEB_DEMO_LOGIN=true turns it on)"
                )
            scope = "from any machine" if self.web_demo_login_remote else "from this computer only"
            return logging.INFO, (
                f"web chat: the demo sign-in is on, {scope}, because neither Slack, Teams nor "
                "the school sign-in is configured (anyone who can open the page can pick any name)"
            )
        if not self.web_demo_login:
            return logging.INFO, "web chat: the demo sign-in is off (WEB_DEMO_LOGIN=false)"
        level = logging.WARNING if configured or self.web_demo_login_remote else logging.INFO
        return level, (
            "web chat: the demo sign-in is on because WEB_DEMO_LOGIN=true: anyone who can "
            "open the page can sign in as anyone, never use it on a real deployment"
        )

    def slack_problem(self) -> str | None:
        """Why the Slack settings cannot work together, or None (all set, or none set)."""
        given = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
            "SLACK_APP_TOKEN": self.slack_app_token,
        }
        if not any(given.values()):
            return None
        missing = ["SLACK_BOT_TOKEN"] if self.slack_bot_token is None else []
        if self.slack_signing_secret is None and self.slack_app_token is None:
            missing.append("SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)")
        if not missing:
            return None
        return "Slack is half configured: set " + " and ".join(missing) + ", or none of them."

    def teams_problem(self) -> str | None:
        """Why the Teams settings cannot work together, or None (all set, or none set)."""
        if self.teams_allow_anonymous and not is_loopback(self.host):
            return (
                "TEAMS_ALLOW_ANONYMOUS=true lets anyone post to /api/messages unsigned: it is "
                f"allowed only when HOST is a loopback address, not {self.host!r}."
            )
        given = {
            "TEAMS_APP_ID": self.teams_app_id,
            "TEAMS_APP_PASSWORD": self.teams_app_password,
            "TEAMS_TENANT_ID": self.teams_tenant_id,
        }
        if not any(given.values()):
            return None
        missing = [name for name, value in given.items() if not value]
        if not missing:
            return None
        return "Teams is half configured: set " + " and ".join(missing) + ", or none of them."

    def role_problem(self) -> str | None:
        """Why the role cannot work with this database, or None."""
        if self.role == "all" or not self.resolved_database_url.startswith("sqlite"):
            return None
        return (
            f"ROLE={self.role} means a second process for the other role, and SQLite supports "
            "one process: run ROLE=all, or use PostgreSQL (DATABASE_URL) for separate web and "
            "scheduler processes."
        )

    @property
    def teams_enabled(self) -> bool:
        configured = self.teams_app_id is not None or self.teams_allow_anonymous
        return configured and self.teams_problem() is None

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and self.slack_problem() is None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'bot.db').as_posix()}"

    @property
    def key_file(self) -> Path:
        return self.data_dir / "encryption.key"


def _split_origins(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def environment_secret(variable: str) -> SecretStr | None:
    """A secret the school file names by its environment variable (a monitoring provider's
    webhook secret): None when it is not set or empty."""
    value = os.environ.get(variable, "")
    return SecretStr(value) if value else None
