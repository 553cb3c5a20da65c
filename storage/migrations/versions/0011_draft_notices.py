"""Messages about unfinished reports go through the outbox too: the reminders to whoever started
a draft and the notice to the DSL before it is purged.

- `outbox.report_id` may be empty: a draft has no report yet.
- `outbox.conversation_id`: the draft's conversation (no foreign key: a row outlives nothing it
  needs), unique with the person, channel, kind and level, so a reminder is queued once per
  idle period (the level is the conversation's version, which every turn moves on).
- `outbox.about`: what the message names, no report content (the flow, when it was started).

Revision ID: 0011
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNIQUE = ["conversation_id", "recipient_email", "channel", "kind", "level"]


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("report_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("about", sa.JSON(), nullable=True))
        batch.create_index("ix_outbox_conversation_id", ["conversation_id"])
        batch.create_unique_constraint("uq_outbox_conversation", _UNIQUE)


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE report_id IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("uq_outbox_conversation", type_="unique")
        batch.drop_index("ix_outbox_conversation_id")
        batch.drop_column("about")
        batch.drop_column("conversation_id")
        batch.alter_column("report_id", existing_type=sa.Integer(), nullable=False)
