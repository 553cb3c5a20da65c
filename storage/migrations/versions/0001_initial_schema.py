"""Initial schema: people, reports, events, conversations, inbound message ids.

Revision ID: 0001
Revises: (none)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("conversation_key", sa.String(400), nullable=False),
        sa.Column("user_email", sa.String(320), nullable=False),
        sa.Column("state_enc", sa.LargeBinary(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("draft_started_at", _TZ, nullable=True),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.UniqueConstraint("channel", "conversation_key"),
    )
    op.create_index("ix_conversations_draft_started_at", "conversations", ["draft_started_at"])
    op.create_index("ix_conversations_user_email", "conversations", ["user_email"])

    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.UniqueConstraint("channel", "message_id"),
    )
    op.create_index("ix_inbound_messages_at", "inbound_messages", ["at"])

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(32), nullable=True, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("subcategory", sa.String(40), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("allegation", sa.Boolean(), nullable=False),
        sa.Column("allegation_about_head", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reporter_email", sa.String(320), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("flow_id", sa.String(48), nullable=False),
        sa.Column("flow_version", sa.Integer(), nullable=False),
        sa.Column("answers_enc", sa.LargeBinary(), nullable=True),
        sa.Column("linked_report_id", sa.Integer(), sa.ForeignKey("reports.id"), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.Column("submitted_at", _TZ, nullable=True),
    )

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id"), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor_email", sa.String(320), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", _TZ, nullable=False),
    )
    op.create_index("ix_events_at", "events", ["at"])
    op.create_index("ix_events_report_id", "events", ["report_id"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("reports")
    op.drop_table("people")
    op.drop_table("inbound_messages")
    op.drop_table("conversations")
