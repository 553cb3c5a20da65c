"""Which an allegation about an adult at school is, as the reporter said (KCSIE part 4).

- `reports.allegation_kind`: the answer's code: `harm` (may meet the harm threshold),
  `low_level` (a low-level concern), `self_report` (about the reporter), `not_sure`; null for a
  report about no adult, and for those filed before the question was asked. A code, not content:
  the low-level concerns' log and the open cases are chosen by it.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("allegation_kind", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("allegation_kind")
