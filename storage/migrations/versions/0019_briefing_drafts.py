"""The briefings the scheduler prepares for the DSL to approve.

- `briefing_drafts`: one row per prepared draft (the policy's each academic year, an update each
  term), its `key` unique so that two schedulers prepare it once; `status` "waiting" until the
  DSL, a deputy or the head presses "Not this time" ("declined").

Revision ID: 0019_briefing_drafts
Revises: 0018_briefings
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_briefing_drafts"
down_revision: str | None = "0018_briefings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "briefing_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("template", sa.String(length=20), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("briefing_drafts")
