"""The web chat's public address and its sign-in through the school's identity provider
(OpenID Connect: Microsoft Entra ID, Google Workspace, or any other), read from the environment.

Apart from `bot/settings.py` because they belong together: the redirect URI the provider is
told of is the public URL's, and the cookies are `__Host-` and `Secure` when it is https.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

# Where each preset's provider lives when OIDC_ISSUER is not given.
ENTRA_ISSUER = "https://login.microsoftonline.com/{tenant}/v2.0"
GOOGLE_ISSUER = "https://accounts.google.com"
CALLBACK_PATH = "/auth/callback"


class SignInSettings(BaseSettings):
    public_url: str = Field(
        default="",
        description="The web chat's address as staff open it, behind the school's proxy "
        "(https://safety.school.uk); the sign-in's redirect URI is this + /auth/callback. "
        "With https the cookies are Secure and __Host- prefixed.",
    )
    oidc_preset: Literal["entra", "google", "generic"] = Field(
        default="generic",
        description="Whose rules a sign-in must meet: entra (the tid claim must be "
        "OIDC_TENANT_ID), google (the hd claim must be OIDC_HOSTED_DOMAIN, e-mail verified) "
        "or generic (a verified e-mail).",
    )
    oidc_issuer: str = Field(
        default="",
        description="The identity provider's issuer URL; empty: Microsoft's for the tenant "
        "(entra) or Google's (google).",
    )
    oidc_client_id: str = Field(
        default="", description="The app's client id at the identity provider."
    )
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="The app's client secret at the identity provider."
    )
    oidc_tenant_id: str = Field(
        default="", description="entra: the school's tenant id (a GUID); other tenants refused."
    )
    oidc_hosted_domain: str = Field(
        default="",
        description="google: the school's Google Workspace domain; other accounts refused.",
    )
    oidc_mfa_acr: str = Field(
        default="",
        description="acr values or Entra authentication context ids (comma separated) that "
        "count as multi-factor, besides an amr claim containing mfa.",
    )
    web_session_secret: SecretStr | None = Field(
        default=None,
        description="Signs the web chat's cookies; the same for every web process (several "
        "replicas behind one address); empty: a key file in DATA_DIR, one per machine.",
    )
    web_step_up_minutes: float = Field(
        default=10,
        gt=0,
        description="Web chat: minutes after signing in when the DSL, a deputy or the head "
        "must sign in again before opening or exporting a case.",
    )

    @field_validator("public_url")
    @classmethod
    def _public_url_is_an_origin(cls, value: str) -> str:
        if value and public_origin(value) is None:
            raise ValueError(
                f"{value!r} is not an address the chat can be opened at: write the scheme and "
                "host (and port), without a path, for example https://safety.school.example"
            )
        return value

    @property
    def public_origin(self) -> str | None:
        return public_origin(self.public_url) if self.public_url else None

    @property
    def secure_cookies(self) -> bool:
        return (self.public_origin or "").startswith("https://")

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_client_id)

    @property
    def oidc_issuer_url(self) -> str:
        if self.oidc_issuer:
            return self.oidc_issuer.rstrip("/")
        if self.oidc_preset == "entra":
            return ENTRA_ISSUER.format(tenant=self.oidc_tenant_id)
        return GOOGLE_ISSUER if self.oidc_preset == "google" else ""

    @property
    def oidc_redirect_uri(self) -> str:
        return f"{self.public_origin}{CALLBACK_PATH}"

    @property
    def mfa_acr_values(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.oidc_mfa_acr.split(",") if part.strip())

    def sign_in_problem(self) -> str | None:
        """Why the OIDC settings cannot work together, or None (all set, or none set)."""
        if not (self.oidc_enabled or self.oidc_issuer or self.oidc_client_secret):
            return None
        missing = [
            name
            for name, value in (
                ("OIDC_CLIENT_ID", self.oidc_client_id),
                ("OIDC_CLIENT_SECRET", self.oidc_client_secret),
                ("PUBLIC_URL", self.public_url),
            )
            if not value
        ]
        if self.oidc_preset == "entra" and not self.oidc_tenant_id:
            missing.append("OIDC_TENANT_ID (the school's Entra tenant)")
        if self.oidc_preset == "google" and not self.oidc_hosted_domain:
            missing.append("OIDC_HOSTED_DOMAIN (the school's Google Workspace domain)")
        if self.oidc_preset == "generic" and not self.oidc_issuer:
            missing.append("OIDC_ISSUER")
        if missing:
            return "school sign-in (OpenID Connect) needs " + ", ".join(missing)
        return None


def public_origin(url: str) -> str | None:
    """scheme://host[:port] in lower case, without a default port; None if it is not one."""
    try:
        parts = urlsplit(url.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        return None
    default = 443 if parts.scheme == "https" else 80
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in {None, default} else "")
