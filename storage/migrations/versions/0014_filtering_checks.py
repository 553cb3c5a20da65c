"""The ICT lead's filtering checks, and the scheduled asks to run them.

- `filtering_check_requests`: one row per period (a half term, a term, a month, six weeks),
  unique, so the ask goes out once however many schedulers run; when it was asked and reminded.
- `filtering_checks`: one row per recorded check: when, who, the user group and test (codes),
  each test category's result (codes), whether one failed, the filtering report it filed, and
  the typed text (device, location, action taken) encrypted.

Revision ID: 0014_filtering_checks
Revises: 0013_drills
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_filtering_checks"
down_revision: str | None = "0013_drills"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "filtering_check_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period"),
    )
    op.create_table(
        "filtering_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_by", sa.String(length=320), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("flow_version", sa.Integer(), nullable=False),
        sa.Column("user_group", sa.String(length=48), nullable=False),
        sa.Column("test", sa.String(length=48), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("text_enc", sa.LargeBinary(), nullable=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_filtering_checks_checked_at", "filtering_checks", ["checked_at"])


def downgrade() -> None:
    op.drop_index("ix_filtering_checks_checked_at", table_name="filtering_checks")
    op.drop_table("filtering_checks")
    op.drop_table("filtering_check_requests")
