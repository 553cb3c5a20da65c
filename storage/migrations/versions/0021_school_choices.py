"""Which school a person of several schools is talking to, in a deployment serving a trust.

- `school_choices`: one row per conversation (channel and key) of someone in more than one
  school's file: the school chosen (none while the question is open), and what they wrote
  before they were asked, encrypted, answered once they choose. Trust-wide: it is read before
  any school is known.

Revision ID: 0021_school_choices
Revises: 0020_schools
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_school_choices"
down_revision: str | None = "0020_schools"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "school_choices",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("conversation_key", sa.String(length=400), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("pending_enc", sa.LargeBinary(), nullable=True),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("channel", "conversation_key"),
    )


def downgrade() -> None:
    op.drop_table("school_choices")
