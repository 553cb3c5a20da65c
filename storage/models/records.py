"""The safeguarding record: people, reports and their event log, conversations, the outbox and
how people are reached, refusals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, SchoolRecord
from storage.types import UtcDateTime


class Person(SchoolRecord, Base):
    """Someone named in the school configuration, kept in step with it at every start."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("school_id", "email", name="uq_people_school_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Report(SchoolRecord, Base):
    """A concern or a filtering report. Searchable facts in plain columns; the rest encrypted."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # concern | filtering
    category: Mapped[str | None] = mapped_column(String(40))
    subcategory: Mapped[str | None] = mapped_column(String(40))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    allegation: Mapped[bool] = mapped_column(Boolean, default=False)
    allegation_about_head: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))  # in_progress | submitted | abandoned
    reporter_email: Mapped[str] = mapped_column(String(320), index=True)  # "my reports"
    channel: Mapped[str] = mapped_column(String(20))
    flow_id: Mapped[str] = mapped_column(String(48))
    flow_version: Mapped[int] = mapped_column(Integer)
    answers_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    linked_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The case, as the DSL handles it. `alerted_at` starts the escalation clock.
    # open | acknowledged | closed; indexed: the sweep and "cases" read the open few of many
    case_status: Mapped[str | None] = mapped_column(String(20), index=True)
    alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(320))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Why it is urgent: the reasons the flow gave ("immediate_danger", "sextortion"), codes only.
    urgent_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    # Who an allegation may be about, fixed when it became known (encrypted: it names an adult).
    excluded_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Which an allegation is, as the reporter said (KCSIE part 4): harm, low_level, self_report
    # or not_sure (bot/reports/allegation_kind.py); null when it is about no adult at school.
    allegation_kind: Mapped[str | None] = mapped_column(String(20))
    # A drill (bot/cases/drills.py): a test alert through the real chain, about no child. It is
    # a report row so the drill runs the very code a real alert runs (plan, outbox, escalation,
    # acknowledgement); every list, count and export of real reports leaves it out by this flag.
    drill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Event(SchoolRecord, Base):
    """The append-only record: who did what to which report, and when.

    Plain columns never hold report content; notes and reasons go in `detail_enc`. Each entry
    carries the hash of the one before it, so an edit or a deletion breaks the chain.
    """

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("school_id", "seq", name="uq_events_school_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    detail_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor_email: Mapped[str | None] = mapped_column(String(320))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Conversation(SchoolRecord, Base):
    """One user's dialog state on one channel: a small encrypted JSON document, versioned."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint(
            "school_id", "channel", "conversation_key", name="uq_conversations_school_key"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    conversation_key: Mapped[str] = mapped_column(String(400))
    user_email: Mapped[str] = mapped_column(String(320), index=True)
    state_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=0)
    draft_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class InboundMessage(Base):
    """Platform message ids already handled, so a redelivered message never counts twice."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class EventChain(SchoolRecord, Base):
    """The head of the event log's hash chain: one row, locked while an entry is added."""

    __tablename__ = "event_chain"
    __table_args__ = (UniqueConstraint("school_id", name="uq_event_chain_school"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class Outbox(SchoolRecord, Base):
    """One message to deliver to one person on one channel, kept until it is delivered.

    The unique key means an alert is never sent twice to the same person at the same level.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("report_id", "recipient_email", "channel", "kind", "level"),
        UniqueConstraint(
            "conversation_id",
            "recipient_email",
            "channel",
            "kind",
            "level",
            name="uq_outbox_conversation",
        ),
        # What is due: the pending few among every row ever sent (claim_due, after each report).
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None for a message about a draft (a reminder, the DSL's notice): see `conversation_id`.
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    recipient_email: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))  # alert | update | seen | ict | draft_*
    level: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # pending/sent/dead/cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
    platform_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A message about a draft: its conversation (the level is the conversation's version), and
    # what the message names (the flow, when it was started; never an answer).
    conversation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    about: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ChannelAddress(SchoolRecord, Base):
    """A person as a chat platform knows them: the platform's id for them, the e-mail it gave
    (the identity cache, so a lookup is not repeated on every message), and how to message them
    first (Teams' conversation reference: service URL, conversation, tenant, bot).

    In the database, not in memory, so every replica agrees and a restart remembers who can be
    reached. `reachable` is false once they uninstall the app.
    """

    __tablename__ = "channel_addresses"
    __table_args__ = (
        UniqueConstraint(
            "school_id", "channel", "platform_user_id", name="uq_channel_addresses_school_user"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    platform_user_id: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    # The platform refused to deliver here (Teams 403/404: app removed or blocked), and when.
    unreachable_reason: Mapped[str | None] = mapped_column(String(100))
    unreachable_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    looked_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RefusalTally(SchoolRecord, Base):
    """Repeated refusals of one person and action since the first (which is logged as it
    happens), folded into one `refused` event with a count when the window closes."""

    __tablename__ = "refusal_tallies"
    __table_args__ = (
        UniqueConstraint(
            "school_id", "actor_email", "action", name="uq_refusal_tallies_school_actor"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_email: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(100))
    first_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_at: Mapped[datetime] = mapped_column(UtcDateTime())
    repeats: Mapped[int] = mapped_column(Integer)
    # The case the repeats were about; -1 for several (no foreign key: copied into the entry).
    report_id: Mapped[int | None] = mapped_column(Integer)


class SchoolChoice(Base):
    """Which school someone on the staff of several (peripatetic staff, the trust's own people
    in a school's file) is talking to in a conversation, in a deployment that serves a trust:
    trust-wide, as the choice is made before any school's record is. `pending_enc` holds what
    they wrote before they were asked which school (encrypted: it may be a concern), so that it
    is answered once they choose rather than lost."""

    __tablename__ = "school_choices"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    conversation_key: Mapped[str] = mapped_column(String(400), primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    pending_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    chosen_at: Mapped[datetime] = mapped_column(UtcDateTime())
