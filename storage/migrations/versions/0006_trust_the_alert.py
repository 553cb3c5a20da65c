"""What a case needs to keep its promises: why it is urgent, who must never hear of it, and which
chat addresses a platform refused.

- `reports.urgent_reasons`: the reasons the flow gave when an answer made the report urgent
  ("immediate_danger", "sextortion", ...), shown on the alert's URGENT label. Codes, not content.
- `reports.excluded_enc`: who an allegation may be about, worked out once when it is known and
  kept (encrypted: it names the adult), so a later edit of the school file cannot change it.
- `channel_addresses.unreachable_reason`/`unreachable_at`: the platform refused to deliver to this
  person (Teams 403/404: the app was removed or blocked), named by `check` and the DSL's `cases`.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("urgent_reasons", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("excluded_enc", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("channel_addresses") as batch:
        batch.add_column(sa.Column("unreachable_reason", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel_addresses") as batch:
        batch.drop_column("unreachable_at")
        batch.drop_column("unreachable_reason")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("excluded_enc")
        batch.drop_column("urgent_reasons")
