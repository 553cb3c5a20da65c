"""A monitoring provider's alert ids are unique within a school, not across the database.

`monitoring_alerts`' unique key was (provider, alert_id): with several schools on one database
(each its own deployment, SCHOOL_KEY, or a trust's), a provider's alert to one school with an id
another school had already received was refused as a replay, and never filed. The key is now
(school_id, provider, alert_id): a replay is the same alert to the same school.

On PostgreSQL the old key is dropped and the new one made; SQLite cannot change a table's keys,
so the table is made again from its own CREATE TABLE text with the new key, its rows copied.

Revision ID: 0022_alerts_per_school
Revises: 0021_school_choices
"""

from collections.abc import Sequence

from alembic import op

from storage.sqlite_tables import remake, table_text

revision: str = "0022_alerts_per_school"
down_revision: str | None = "0021_school_choices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "monitoring_alerts"
_OLD = "UNIQUE (provider, alert_id)"  # SQLite's text of the old key
_OLD_NAME = "monitoring_alerts_provider_alert_id_key"  # PostgreSQL's name for it
_NEW_NAME = "uq_monitoring_alerts_school_alert"
_NEW = f"CONSTRAINT {_NEW_NAME} UNIQUE (school_id, provider, alert_id)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(_OLD_NAME, _TABLE, type_="unique")
        op.create_unique_constraint(_NEW_NAME, _TABLE, ["school_id", "provider", "alert_id"])
        return
    _remake_on_sqlite(_OLD, _NEW)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(_NEW_NAME, _TABLE, type_="unique")
        op.create_unique_constraint(_OLD_NAME, _TABLE, ["provider", "alert_id"])
        return
    _remake_on_sqlite(_NEW, _OLD)


def _remake_on_sqlite(old: str, new: str) -> None:
    found = table_text(op.get_bind(), _TABLE)
    assert old in found.created, f"{old!r} is not in {found.created!r}"
    head, _, body = found.created.partition("(")
    assert head.strip().upper().startswith("CREATE TABLE"), found.created
    columns = ", ".join(found.columns)
    create = f'CREATE TABLE "_new_{_TABLE}" ({body.replace(old, new)}'
    remake(op.execute, found, _TABLE, create, into=columns, select=columns)
