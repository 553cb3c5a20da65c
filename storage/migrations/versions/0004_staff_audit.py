"""The staff online-safety self-audit: campaigns, participants, the invitation queue, training.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_campaigns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("academic_year", sa.String(9), nullable=False, unique=True),
        sa.Column("flow_id", sa.String(60), nullable=False),
        sa.Column("flow_spec", sa.JSON(), nullable=False),
        sa.Column("started_at", _TZ, nullable=False),
        sa.Column("started_by", sa.String(320), nullable=False),
        sa.Column("closes_at", _TZ, nullable=False),
        sa.Column("closed_at", _TZ, nullable=True),
    )
    op.create_table(
        "audit_participants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("audit_campaigns.id"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("answers_enc", sa.LargeBinary(), nullable=True),
        sa.Column("invited_at", _TZ, nullable=True),
        sa.Column("started_at", _TZ, nullable=True),
        sa.Column("finished_at", _TZ, nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.UniqueConstraint("campaign_id", "email"),
    )
    op.create_index("ix_audit_participants_campaign_id", "audit_participants", ["campaign_id"])
    op.create_index("ix_audit_participants_email", "audit_participants", ["email"])
    op.create_table(
        "audit_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "participant_id",
            sa.Integer(),
            sa.ForeignKey("audit_participants.id"),
            nullable=False,
        ),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("audit_campaigns.id"), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("recipient_email", sa.String(320), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TZ, nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("platform_ref", sa.String(200), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("sent_at", _TZ, nullable=True),
        sa.UniqueConstraint("participant_id", "kind", "n"),
    )
    op.create_index("ix_audit_messages_participant_id", "audit_messages", ["participant_id"])
    op.create_index("ix_audit_messages_campaign_id", "audit_messages", ["campaign_id"])
    op.create_index("ix_audit_messages_next_attempt_at", "audit_messages", ["next_attempt_at"])
    op.create_table(
        "training_records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("recorded_by", sa.String(320), nullable=True),
        sa.Column("recorded_at", _TZ, nullable=False),
        sa.UniqueConstraint("email", "kind", "completed_on"),
    )
    op.create_index("ix_training_records_email", "training_records", ["email"])


def downgrade() -> None:
    for table in ("training_records", "audit_messages", "audit_participants", "audit_campaigns"):
        op.drop_table(table)
