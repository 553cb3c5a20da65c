"""Schools: one database serves a multi-academy trust, each school's records its own.

- `schools`: one row per school (its `key` in the trust file). A database made before this
  revision served one school; it becomes school 1, key "default", and every row is its.
- `school_id` (not null, a foreign key to `schools`) on every table of a school's records:
  people, reports, the event log and its head, conversations, the outbox, the self-audit and
  briefings, training, refusals, closures, cover, drills, the filtering checks and reviews,
  the monitoring alerts, the platforms' addresses. Trust-wide, with no school: the inbound
  message ids, the web chat's sessions and sign-ins (a person signs in once for the trust).
- The keys that were unique in the school are unique in each school: a person's e-mail, the
  event log's `seq` (one chain per school) and its head row, a campaign, a training record, a
  refusal tally, a term's drill, a briefing draft, a filtering check's period, a year's
  review, a monitoring group, a conversation, a platform's address for a person (each school's
  deployment may be its own bot registration, with its own conversation with them). Report
  references stay unique in the trust (they
  are made from the report's id), as do a provider's alert ids (one provider account).
- `trust_seals`: a day's seal of every school's event-log head, chained (bot.record.trust_seal).

On SQLite a column cannot be added NOT NULL with a foreign key, nor a unique key changed, in
place: each table is rebuilt (SQLite's documented procedure, https://www.sqlite.org/
lang_altertable.html#otheralter), from its own CREATE TABLE text with the column added and the
keys rewritten, so the result is the same on every run (a restore compares table definitions).
`storage.migrate` turns foreign keys off for the rebuild, and this revision checks them whole
before it ends, as that procedure says.

Revision ID: 0020_schools
Revises: 0019_briefing_drafts
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.sqlite_tables import remake, table_text

revision: str = "0020_schools"
down_revision: str | None = "0019_briefing_drafts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_SCHOOL = 1  # what an existing database's records become: its one school

# Each table of a school's records, and its keys that become per school: (the key's text in
# SQLite's CREATE TABLE, its name on PostgreSQL, the new key's name, its columns).
_KEY = tuple[str, str, str, tuple[str, ...]]
_TABLES: dict[str, tuple[_KEY, ...]] = {
    "people": (("UNIQUE (email)", "people_email_key", "uq_people_school_email", ("email",)),),
    "reports": (),
    "events": (
        (
            "CONSTRAINT uq_events_seq UNIQUE (seq)",
            "uq_events_seq",
            "uq_events_school_seq",
            ("seq",),
        ),
    ),
    "event_chain": (),  # its key (one head a school, _HEAD_KEY) is new: it had none
    "conversations": (
        (
            "UNIQUE (channel, conversation_key)",
            "conversations_channel_conversation_key_key",
            "uq_conversations_school_key",
            ("channel", "conversation_key"),
        ),
    ),
    "outbox": (),
    "audit_campaigns": (
        (
            "CONSTRAINT uq_audit_campaigns_kind_year UNIQUE (kind, academic_year, title)",
            "uq_audit_campaigns_kind_year",
            "uq_audit_campaigns_school_kind_year",
            ("kind", "academic_year", "title"),
        ),
    ),
    "audit_participants": (),
    "audit_messages": (),
    "training_records": (
        (
            "UNIQUE (email, kind, completed_on)",
            "training_records_email_kind_completed_on_key",
            "uq_training_records_school_email",
            ("email", "kind", "completed_on"),
        ),
    ),
    "refusal_tallies": (
        (
            "UNIQUE (actor_email, action)",
            "refusal_tallies_actor_email_action_key",
            "uq_refusal_tallies_school_actor",
            ("actor_email", "action"),
        ),
    ),
    "school_closures": (),
    "cover_requests": (),
    "drills": (("UNIQUE (term)", "drills_term_key", "uq_drills_school_term", ("term",)),),
    "briefing_drafts": (
        ('UNIQUE ("key")', "briefing_drafts_key_key", "uq_briefing_drafts_school_key", ("key",)),
    ),
    "filtering_check_requests": (
        (
            "UNIQUE (period)",
            "filtering_check_requests_period_key",
            "uq_filtering_check_requests_school_period",
            ("period",),
        ),
    ),
    "filtering_checks": (),
    "filtering_reviews": (
        (
            "CONSTRAINT uq_filtering_reviews_year UNIQUE (year)",
            "uq_filtering_reviews_year",
            "uq_filtering_reviews_school_year",
            ("year",),
        ),
    ),
    "monitoring_groups": (
        (
            "UNIQUE (group_key)",
            "monitoring_groups_group_key_key",
            "uq_monitoring_groups_school_key",
            ("group_key",),
        ),
    ),
    "monitoring_alerts": (),
    "channel_addresses": (
        (
            "UNIQUE (channel, platform_user_id)",
            "channel_addresses_channel_platform_user_id_key",
            "uq_channel_addresses_school_user",
            ("channel", "platform_user_id"),
        ),
    ),
}
SCHOOL_TABLES = tuple(_TABLES)
_HEAD_KEY = "uq_event_chain_school"
_CONSTRAINT_LINE = re.compile(r"^\s*(PRIMARY KEY|UNIQUE|CONSTRAINT|FOREIGN KEY)\b")


def upgrade() -> None:
    op.create_table(
        "schools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_schools_key"),
    )
    op.execute(
        sa.text(
            "INSERT INTO schools (id, key, name, created_at) "
            "VALUES (:id, 'default', 'The school', CURRENT_TIMESTAMP)"
        ).bindparams(id=FIRST_SCHOOL)
    )
    op.create_table(
        "trust_seals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heads", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq", name="uq_trust_seals_seq"),
        sa.UniqueConstraint("day", name="uq_trust_seals_day"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for table, keys in _TABLES.items():
            _rebuild_on_sqlite(table, keys)
        _check_foreign_keys_on_sqlite()
    else:
        for table, keys in _TABLES.items():
            _alter_on_postgresql(table, keys)
        op.create_unique_constraint(_HEAD_KEY, "event_chain", ["school_id"])
        op.execute("SELECT setval(pg_get_serial_sequence('schools', 'id'), 1)")


def _alter_on_postgresql(table: str, keys: tuple[_KEY, ...]) -> None:
    # Added with the first school as its default, so the rows there are that school's; the
    # default is then dropped: a new row must say whose it is.
    op.add_column(
        table,
        sa.Column("school_id", sa.Integer(), nullable=False, server_default=str(FIRST_SCHOOL)),
    )
    op.alter_column(table, "school_id", server_default=None)
    op.create_foreign_key(f"{table}_school_id_fkey", table, "schools", ["school_id"], ["id"])
    for _text, old, new, columns in keys:
        op.drop_constraint(old, table, type_="unique")
        op.create_unique_constraint(new, table, ["school_id", *columns])


def _rebuild_on_sqlite(table: str, keys: tuple[_KEY, ...]) -> None:
    found = table_text(op.get_bind(), table)
    columns = ", ".join(found.columns)
    remake(
        op.execute,
        found,
        table,
        _with_school(found.created, f"_new_{table}", keys),
        into=f"school_id, {columns}",
        select=f"{FIRST_SCHOOL}, {columns}",
    )


def _with_school(created: str, new_name: str, keys: tuple[_KEY, ...]) -> str:
    """A table's CREATE TABLE text, named `new_name`, with `school_id` and the keys per school."""
    head, _, body = created.partition("(")
    assert head.strip().upper().startswith("CREATE TABLE"), created
    lines = body.split("\n")
    first_key = next(i for i, line in enumerate(lines) if _CONSTRAINT_LINE.match(line))
    indent = re.match(r"^\s*", lines[first_key]).group(0)  # type: ignore[union-attr]
    lines.insert(first_key, f"{indent}school_id INTEGER NOT NULL REFERENCES schools (id), ")
    if new_name == "_new_event_chain":
        lines.insert(first_key + 1, f"{indent}CONSTRAINT {_HEAD_KEY} UNIQUE (school_id), ")
    text = "\n".join(lines)
    for old, _name, name, columns in keys:
        assert old in text, f"{old!r} is not in {created!r}"
        text = text.replace(old, f"CONSTRAINT {name} UNIQUE (school_id, {', '.join(columns)})")
    return f'CREATE TABLE "{new_name}" ({text}'


def _check_foreign_keys_on_sqlite() -> None:
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the rebuilt tables break a foreign key: {broken[:5]}")


def downgrade() -> None:
    raise NotImplementedError(
        "a database of schools is not taken back to one school: restore the backup made "
        "before the upgrade (python -m bot backup)"
    )
