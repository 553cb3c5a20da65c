"""The web chat's sessions and sign-ins (trust-wide: a person signs in once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Integer,
    String,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UtcDateTime


class WebSession(Base):
    """One sign-in to the web chat. The cookie holds a random token; `id` is its SHA-256, so the
    database alone gives nobody a usable cookie. Sign-out sets `revoked_at`."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # How the person proved who they are: "demo" (loopback only) or "oidc" (the school's
    # identity provider); when they last did (a step-up moves it on), and whether with MFA.
    method: Mapped[str] = mapped_column(String(10), default="demo", server_default="demo")
    authenticated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    mfa: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # The provider's own `auth_time` of that proof (its clock, not ours): a step-up must bring
    # a later one, or the provider did not really ask the person again.
    provider_auth_time: Mapped[int | None] = mapped_column(Integer)


class WebSignIn(Base):
    """A sign-in begun at the school's identity provider and not yet finished: what the answer
    must match (state, nonce, PKCE verifier). `id` is the SHA-256 of the state; `used_at`
    makes each state good for one answer (a replayed one is refused)."""

    __tablename__ = "web_sign_ins"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(128))
    # "sign_in", or "step_up" of the session `session_id` (then only its person may answer).
    purpose: Mapped[str] = mapped_column(String(10))
    session_id: Mapped[str | None] = mapped_column(String(64))
    next_path: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
