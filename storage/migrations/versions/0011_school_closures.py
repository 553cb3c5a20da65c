"""Days the school is shut, recorded in chat (the DSL's `closure` command).

- `school_closures`: one row per day: the day, the reason as typed (not report content: "snow",
  "heating failure"), who recorded it and when. The school file's closures stay in the file.

Revision ID: 0011_school_closures
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_school_closures"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "school_closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=320), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_school_closures_day", "school_closures", ["day"])


def downgrade() -> None:
    op.drop_index("ix_school_closures_day", table_name="school_closures")
    op.drop_table("school_closures")
