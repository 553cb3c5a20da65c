"""Indexes for a trust's size (10,000 reports): what is due in the outbox, open cases, and a
reporter's own reports are looked up instead of scanned.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_reports_case_status", "reports", ["case_status"])
    op.create_index("ix_reports_reporter_email", "reports", ["reporter_email"])


def downgrade() -> None:
    op.drop_index("ix_reports_reporter_email", table_name="reports")
    op.drop_index("ix_reports_case_status", table_name="reports")
    op.drop_index("ix_outbox_status_next_attempt_at", table_name="outbox")
