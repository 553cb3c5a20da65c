"""The tables. Report text and pupil identifiers live only in encrypted columns (`*_enc`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UtcDateTime


class Base(DeclarativeBase):
    pass


class Person(Base):
    """Someone named in the school configuration, kept in step with it at every start."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Report(Base):
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
    reporter_email: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(20))
    flow_id: Mapped[str] = mapped_column(String(48))
    flow_version: Mapped[int] = mapped_column(Integer)
    answers_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    linked_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Event(Base):
    """The append-only record: who did what to which report, and when. Never holds content."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor_email: Mapped[str | None] = mapped_column(String(320))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Conversation(Base):
    """One user's dialog state on one channel: a small encrypted JSON document, versioned."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "conversation_key"),)

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
