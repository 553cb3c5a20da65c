"""Drills: test alerts, about no child, sent through the real alert chain (bot/cases/drills.py).

- `reports.drill`: true for a drill's report row. A drill is a report row so it runs the same
  alert plan, outbox, escalation and acknowledgement as a real report; every list, count and
  export of real reports leaves these rows out (false for every row before this revision).
- `drills`: who started each drill and, for a scheduled one, the term it was for; `term` is
  unique so a term's scheduled drill is sent once, even by two schedulers.

Revision ID: 0013_drills
Revises: 0012_cover_requests
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_drills"
down_revision: str | None = "0012_cover_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER TABLE ... ADD COLUMN, not a batch: SQLite's batch would copy the table, and
    # the copy lists its constraints in no fixed order, which a restore's schema check refuses.
    op.add_column(
        "reports", sa.Column("drill", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_table(
        "drills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=40), nullable=True),
        sa.Column("started_by", sa.String(length=320), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id"),
        sa.UniqueConstraint("term"),
    )
    op.create_index("ix_drills_started_at", "drills", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_drills_started_at", table_name="drills")
    op.drop_table("drills")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("drill")
