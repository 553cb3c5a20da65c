"""Signing in to the web chat through the school's identity provider (OpenID Connect).

- `web_sessions` gains `method` ("demo" or "oidc"), `authenticated_at` (when the person last
  proved who they are: a step-up moves it on), `mfa` (whether that proof used MFA) and
  `provider_auth_time` (the provider's own time of that proof). Rows
  from before are demo sign-ins, authenticated when they were created.
- `web_sign_ins`: a sign-in begun at the identity provider, until its answer comes back; one
  answer per state (`used_at`).

Revision ID: 0017_web_sign_in
Revises: 0016_monitoring_alerts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_web_sign_in"
down_revision: str | None = "0016_monitoring_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(
            sa.Column("method", sa.String(length=10), nullable=False, server_default="demo")
        )
        batch.add_column(sa.Column("authenticated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("mfa", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("provider_auth_time", sa.Integer(), nullable=True))
    op.execute("UPDATE web_sessions SET authenticated_at = created_at")
    op.create_table(
        "web_sign_ins",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("next_path", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_sign_ins_created_at", "web_sign_ins", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_web_sign_ins_created_at", table_name="web_sign_ins")
    op.drop_table("web_sign_ins")
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_column("provider_auth_time")
        batch.drop_column("mfa")
        batch.drop_column("authenticated_at")
        batch.drop_column("method")
