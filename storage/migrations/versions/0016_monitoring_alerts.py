"""Alerts from the school's monitoring providers (bot/monitoring).

- `monitoring_groups`: repeated alerts of one provider for one account, category and hour,
  filed as one report with a count; `group_key` (unique) is a keyed digest, never the account.
- `monitoring_alerts`: each alert received, once per provider and alert id (the unique key is
  the replay protection), and its group.

Revision ID: 0016_monitoring_alerts
Revises: 0015_filtering_review
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_monitoring_alerts"
down_revision: str | None = "0015_filtering_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_key"),
    )
    op.create_index("ix_monitoring_groups_hour", "monitoring_groups", ["hour"])
    op.create_index("ix_monitoring_groups_report_id", "monitoring_groups", ["report_id"])
    op.create_table(
        "monitoring_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("alert_id", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["monitoring_groups.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "alert_id"),
    )
    op.create_index("ix_monitoring_alerts_group_id", "monitoring_alerts", ["group_id"])
    op.create_index("ix_monitoring_alerts_received_at", "monitoring_alerts", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_monitoring_alerts_received_at", table_name="monitoring_alerts")
    op.drop_index("ix_monitoring_alerts_group_id", table_name="monitoring_alerts")
    op.drop_table("monitoring_alerts")
    op.drop_index("ix_monitoring_groups_report_id", table_name="monitoring_groups")
    op.drop_index("ix_monitoring_groups_hour", table_name="monitoring_groups")
    op.drop_table("monitoring_groups")
