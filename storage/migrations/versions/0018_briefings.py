"""Staff briefings share the self-audit's campaigns.

- `audit_campaigns` gains `kind` ("audit", every row from before; or "briefing") and `title`
  (a briefing's; "" for the audit), and its unique key becomes (kind, academic_year, title):
  one audit a year, as before, and each briefing once a year.

Revision ID: 0018_briefings
Revises: 0017_web_sign_in
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_briefings"
down_revision: str | None = "0017_web_sign_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_KEY = "uq_audit_campaigns_kind_year"
# The old key was declared on the column (0004), unnamed: PostgreSQL named it itself; SQLite
# keeps it nameless, so the batch (which copies the table) names it by this convention to drop it.
POSTGRES_OLD_KEY = "audit_campaigns_academic_year_key"
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
SQLITE_OLD_KEY = "uq_audit_campaigns_academic_year"


def _old_key() -> tuple[str, dict[str, object]]:
    if op.get_bind().dialect.name == "sqlite":
        return SQLITE_OLD_KEY, {"naming_convention": SQLITE_NAMES}
    return POSTGRES_OLD_KEY, {}


def upgrade() -> None:
    old, options = _old_key()
    with op.batch_alter_table("audit_campaigns", **options) as batch:  # type: ignore[arg-type]
        batch.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="audit")
        )
        batch.add_column(
            sa.Column("title", sa.String(length=200), nullable=False, server_default="")
        )
        batch.drop_constraint(old, type_="unique")
        batch.create_unique_constraint(NEW_KEY, ["kind", "academic_year", "title"])


def downgrade() -> None:
    op.execute(
        "DELETE FROM audit_messages WHERE campaign_id IN "
        "(SELECT id FROM audit_campaigns WHERE kind <> 'audit')"
    )
    op.execute(
        "DELETE FROM audit_participants WHERE campaign_id IN "
        "(SELECT id FROM audit_campaigns WHERE kind <> 'audit')"
    )
    op.execute("DELETE FROM audit_campaigns WHERE kind <> 'audit'")
    old, options = _old_key()
    with op.batch_alter_table("audit_campaigns", **options) as batch:  # type: ignore[arg-type]
        batch.drop_constraint(NEW_KEY, type_="unique")
        batch.drop_column("title")
        batch.drop_column("kind")
        batch.create_unique_constraint(old, ["academic_year"])
