"""Every setting the bot reads from its environment, in one place."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def is_loopback(host: str) -> bool:
    """localhost, or an address of this machine's own (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """Read from environment variables (or a `.env` file beside the project)."""

    # An empty variable means "not set" (as docker-compose passes ${SLACK_BOT_TOKEN:-}).
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    data_dir: Path = Field(default=Path("data"), description="Where the SQLite file and key live.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means SQLite at DATA_DIR/bot.db.",
    )
    school_config: Path = Field(
        default=PROJECT_ROOT / "config" / "school.example.yaml",
        description="The school's YAML configuration.",
    )
    flows_dir: Path | None = Field(
        default=None, description="A folder of the school's own flow files (replace built-ins)."
    )
    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=3978, ge=1, le=65535, description="Port to listen on.")
    encryption_key: SecretStr | None = Field(
        default=None,
        description="Fernet key(s), comma separated, newest first; empty: DATA_DIR/encryption.key.",
    )
    draft_retention_hours: float = Field(
        default=72, gt=0, description="How long an unfinished report is kept before it is purged."
    )
    welcome_back_after_minutes: float = Field(
        default=30, ge=0, description="Idle time after which a returning user is reminded."
    )
    web_chat_enabled: bool = Field(default=True, description="Serve the local web chat at /.")
    web_demo_login_remote: bool = Field(
        default=False,
        description="Allow the demo sign-in from other machines (never on a real deployment).",
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
