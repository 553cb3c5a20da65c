"""Messages about unfinished reports go through the outbox too: the reminders to whoever started
a draft and the notice to the DSL before it is purged.

- `outbox.report_id` may be empty: a draft has no report yet.
- `outbox.conversation_id`: the draft's conversation (no foreign key: a row outlives nothing it
  needs), unique with the person, channel, kind and level, so a reminder is queued once per
  idle period (the level is the conversation's version, which every turn moves on).
- `outbox.about`: what the message names, no report content (the flow, when it was started).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNIQUE = ["conversation_id", "recipient_email", "channel", "kind", "level"]
_COLUMNS = (
    "id, report_id, recipient_email, channel, kind, level, status, attempts, next_attempt_at, "
    "last_error, platform_ref, created_at, sent_at"
)
# SQLite cannot make a column nullable in place. Alembic's batch mode would rebuild the table
# with its constraints in an order that changes from run to run (a set), and a restore compares
# a backup's table definitions with those the migrations make: so the rebuild is written out.
_SQLITE_TABLE = """CREATE TABLE _outbox_new (
    id INTEGER NOT NULL,
    report_id INTEGER{report_null},
    recipient_email VARCHAR(320) NOT NULL,
    channel VARCHAR(20) NOT NULL,
    kind VARCHAR(20) NOT NULL,
    level INTEGER NOT NULL,
    status VARCHAR(20) NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at DATETIME NOT NULL,
    last_error VARCHAR(200),
    platform_ref VARCHAR(200),
    created_at DATETIME NOT NULL,
    sent_at DATETIME,{extra}
    PRIMARY KEY (id),
    UNIQUE (report_id, recipient_email, channel, kind, level),{unique}
    FOREIGN KEY(report_id) REFERENCES reports (id)
)"""
_SQLITE_INDEXES = (
    "CREATE INDEX ix_outbox_report_id ON outbox (report_id)",
    "CREATE INDEX ix_outbox_next_attempt_at ON outbox (next_attempt_at)",
    "CREATE INDEX ix_outbox_status_next_attempt_at ON outbox (status, next_attempt_at)",
)


def _rebuild_on_sqlite(*, drafts: bool) -> None:
    extra = "\n    conversation_id INTEGER,\n    about JSON," if drafts else ""
    unique = (
        "\n    CONSTRAINT uq_outbox_conversation UNIQUE "
        "(conversation_id, recipient_email, channel, kind, level),"
        if drafts
        else ""
    )
    op.execute(
        _SQLITE_TABLE.format(report_null="" if drafts else " NOT NULL", extra=extra, unique=unique)
    )
    op.execute(f"INSERT INTO _outbox_new ({_COLUMNS}) SELECT {_COLUMNS} FROM outbox")  # noqa: S608 (constants)
    op.execute("DROP TABLE outbox")
    op.execute("ALTER TABLE _outbox_new RENAME TO outbox")
    for index in _SQLITE_INDEXES:
        op.execute(index)
    if drafts:
        op.execute("CREATE INDEX ix_outbox_conversation_id ON outbox (conversation_id)")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _sqlite():
        _rebuild_on_sqlite(drafts=True)
        return
    op.alter_column("outbox", "report_id", existing_type=sa.Integer(), nullable=True)
    op.add_column("outbox", sa.Column("conversation_id", sa.Integer(), nullable=True))
    op.add_column("outbox", sa.Column("about", sa.JSON(), nullable=True))
    op.create_index("ix_outbox_conversation_id", "outbox", ["conversation_id"])
    op.create_unique_constraint("uq_outbox_conversation", "outbox", _UNIQUE)


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE report_id IS NULL")
    if _sqlite():
        _rebuild_on_sqlite(drafts=False)
        return
    op.drop_constraint("uq_outbox_conversation", "outbox", type_="unique")
    op.drop_index("ix_outbox_conversation_id", table_name="outbox")
    op.drop_column("outbox", "about")
    op.drop_column("outbox", "conversation_id")
    op.alter_column("outbox", "report_id", existing_type=sa.Integer(), nullable=False)
