"""The annual review of filtering and monitoring (the DfE standard), one row per year.

- `filtering_reviews`: the year (unique: a second scheduler opening the same year's review finds
  it there), when it opened, the year's figures from the bot's own records as they were then
  (numbers only, no name, no reference), the answers (encrypted, as report text is), and who
  completed it and when.

Revision ID: 0015_filtering_review
Revises: 0014_filtering_checks
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_filtering_review"
down_revision: str | None = "0014_filtering_checks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "filtering_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("answers_enc", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", name="uq_filtering_reviews_year"),
    )


def downgrade() -> None:
    op.drop_table("filtering_reviews")
