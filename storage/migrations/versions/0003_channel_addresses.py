"""Channel addresses: platform ids, their e-mail, and how to message a person first (Teams).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "channel_addresses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("platform_user_id", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("looked_up_at", _TZ, nullable=True),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.UniqueConstraint("channel", "platform_user_id"),
    )
    op.create_index("ix_channel_addresses_email", "channel_addresses", ["email"])


def downgrade() -> None:
    op.drop_index("ix_channel_addresses_email", "channel_addresses")
    op.drop_table("channel_addresses")
