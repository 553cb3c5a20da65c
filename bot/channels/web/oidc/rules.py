"""Who a checked id token says the person is, by the school's provider's own rules, and whether
they used multi-factor authentication.

- Microsoft Entra ID (single tenant): the `tid` claim must be the school's tenant; the e-mail
  is `email`, else `preferred_username`, else `upn` (Microsoft documents `email` as optional
  and `preferred_username` as the sign-in name, usually the e-mail; `upn` on v1 tokens).
- Google Workspace: the `hd` claim must be the school's domain and `email_verified` true
  (Google documents `hd` as the only proof the account belongs to a Workspace domain).
- Any other provider: a verified e-mail.

MFA: an `amr` claim containing "mfa" (RFC 8176), or an `acr` value or Entra authentication
context (`acrs`) the school lists as multi-factor.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Preset = Literal["entra", "google", "generic"]


@dataclass(frozen=True)
class Identity:
    email: str
    mfa: bool


@dataclass(frozen=True)
class NotAllowed:
    """Why this account may not sign in: `message` is for the person, `reason` for the log."""

    reason: str
    message: str


WRONG_TENANT = NotAllowed(
    "wrong tenant",
    "This account does not belong to the school's Microsoft 365. Please sign in with your "
    "school account.",
)
WRONG_DOMAIN = NotAllowed(
    "wrong hosted domain",
    "This Google account is not one of the school's. Please sign in with your school account.",
)
UNVERIFIED = NotAllowed(
    "e-mail not verified",
    "Your identity provider has not verified this account's e-mail address, so the chat "
    "cannot tell who you are. Please sign in with your school account.",
)
NO_EMAIL = NotAllowed(
    "no e-mail claim",
    "Your school account did not share an e-mail address, so the chat cannot tell who you are. "
    "Please ask the school's IT lead to allow the email scope for this app.",
)


def identity_of(
    claims: Mapping[str, Any],
    *,
    preset: Preset,
    tenant_id: str,
    hosted_domain: str,
    mfa_acr: Collection[str],
) -> Identity | NotAllowed:
    if preset == "entra":
        if not _same(claims.get("tid"), tenant_id):
            return WRONG_TENANT
        email = _first_text(claims, "email", "preferred_username", "upn")
    else:
        if preset == "google" and not _same(claims.get("hd"), hosted_domain):
            return WRONG_DOMAIN
        if claims.get("email_verified") is not True:
            return UNVERIFIED
        email = _first_text(claims, "email")
    if email is None or "@" not in email:
        return NO_EMAIL
    return Identity(email=email.strip().lower(), mfa=used_mfa(claims, mfa_acr))


def used_mfa(claims: Mapping[str, Any], mfa_acr: Collection[str]) -> bool:
    amr = claims.get("amr")
    if isinstance(amr, list) and "mfa" in amr:
        return True
    acr = claims.get("acr")
    if isinstance(acr, str) and acr in mfa_acr:
        return True
    contexts = claims.get("acrs")
    return isinstance(contexts, list) and any(c in mfa_acr for c in contexts)


def _same(value: object, expected: str) -> bool:
    return bool(expected) and isinstance(value, str) and value.lower() == expected.lower()


def _first_text(claims: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return None
