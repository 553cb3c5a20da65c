"""Cover requests typed in chat (`cover me`; bot/cases/cover.py).

- `cover_requests`: who asked, the range (start and end), its state (asked, accepted, expired,
  cancelled), when it was asked and when it expires unanswered, who accepted and when. No
  report content: the range and the people only.

Revision ID: 0012_cover_requests
Revises: 0011_school_closures
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_cover_requests"
down_revision: str | None = "0011_school_closures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cover_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_email", sa.String(length=320), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_by", sa.String(length=320), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cover_requests_ends_at", "cover_requests", ["ends_at"])
    op.create_index(
        "ix_cover_requests_status_expires_at", "cover_requests", ["status", "expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_cover_requests_status_expires_at", table_name="cover_requests")
    op.drop_index("ix_cover_requests_ends_at", table_name="cover_requests")
    op.drop_table("cover_requests")
