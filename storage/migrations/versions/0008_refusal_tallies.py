"""Refusals counted, not logged one by one: repeats by one person within a window become one
event with a count, so a probe cannot bury the record under thousands of `refused` entries.

- `refusal_tallies`: the open window of refusals for one person and action: when it began, the
  last refusal and how many came after the first (which was logged as it happened), and the
  case they were about (-1 for several; no foreign key: it is only copied into the entry).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "refusal_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_email", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("actor_email", "action"),
    )


def downgrade() -> None:
    op.drop_table("refusal_tallies")
