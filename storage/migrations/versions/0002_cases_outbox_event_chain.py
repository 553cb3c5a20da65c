"""Cases, the alert outbox and the event log's hash chain.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("case_status", sa.String(20), nullable=True))
        batch.add_column(sa.Column("alerted_at", _TZ, nullable=True))
        batch.add_column(sa.Column("acknowledged_by", sa.String(320), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", _TZ, nullable=True))
        batch.add_column(sa.Column("closed_at", _TZ, nullable=True))
    op.create_index("ix_reports_alerted_at", "reports", ["alerted_at"])

    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("detail_enc", sa.LargeBinary(), nullable=True))
        batch.create_unique_constraint("uq_events_seq", ["seq"])

    op.create_table(
        "event_chain",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("recipient_email", sa.String(320), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TZ, nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("platform_ref", sa.String(200), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("sent_at", _TZ, nullable=True),
        sa.UniqueConstraint("report_id", "recipient_email", "channel", "kind", "level"),
    )
    op.create_index("ix_outbox_report_id", "outbox", ["report_id"])
    op.create_index("ix_outbox_next_attempt_at", "outbox", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("event_chain")
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint("uq_events_seq", type_="unique")
        for column in ["detail_enc", "hash", "prev_hash", "seq"]:
            batch.drop_column(column)
    op.drop_index("ix_reports_alerted_at", "reports")
    with op.batch_alter_table("reports") as batch:
        for column in [
            "closed_at",
            "acknowledged_at",
            "acknowledged_by",
            "alerted_at",
            "case_status",
        ]:
            batch.drop_column(column)
