"""The school sign-in, built from the settings when it is configured."""

from __future__ import annotations

from bot.channels.services import Services
from bot.channels.web.oidc.attempts import SignInAttempts
from bot.channels.web.oidc.client import OidcClient
from bot.channels.web.oidc.routes import ProviderRules, SchoolSignIn
from bot.settings import Settings

# Google's discovery document: "The modern value is https://accounts.google.com; however,
# accounts.google.com is also returned for legacy implementations"
# (developers.google.com/identity/openid-connect/reference, Discovery Document).
LEGACY_GOOGLE_ISSUERS = ("accounts.google.com",)


def school_sign_in(settings: Settings, services: Services, secret: bytes) -> SchoolSignIn | None:
    """The sign-in through the school's identity provider, when it is configured."""
    if not settings.oidc_enabled or settings.oidc_client_secret is None:
        return None
    client = OidcClient(
        issuer=settings.oidc_issuer_url,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        redirect_uri=settings.oidc_redirect_uri,
        clock=services.clock,
        also_issued_as=LEGACY_GOOGLE_ISSUERS if settings.oidc_preset == "google" else (),
    )
    rules = ProviderRules(
        preset=settings.oidc_preset,
        tenant_id=settings.oidc_tenant_id,
        hosted_domain=settings.oidc_hosted_domain,
        mfa_acr=settings.mfa_acr_values,
    )
    return SchoolSignIn(
        client=client,
        attempts=SignInAttempts(sessions=services.sessions, clock=services.clock),
        rules=rules,
        school=services.school,
        secret=secret,
        secure_cookies=settings.secure_cookies,
        clock=services.clock,
    )
