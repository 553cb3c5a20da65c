"""Around the cases: school closures, cover for the DSL, drills."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, SchoolRecord
from storage.types import UtcDateTime


class SchoolClosure(SchoolRecord, Base):
    """A day the school is shut, recorded in chat by the DSL, a deputy or the head (a snow
    day); the school file's `calendar: closures` hold the ones known in advance."""

    __tablename__ = "school_closures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(320))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CoverRequest(SchoolRecord, Base):
    """A DSL or deputy asking the others to be first contact for a time range (`cover me`):
    asked, then accepted by the first to accept, or expired (the head told), or cancelled."""

    __tablename__ = "cover_requests"
    __table_args__ = (Index("ix_cover_requests_status_expires_at", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_email: Mapped[str] = mapped_column(String(320))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(20))  # asked | accepted | expired | cancelled
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    accepted_by: Mapped[str | None] = mapped_column(String(320))
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # expired or cancelled


class Drill(SchoolRecord, Base):
    """A drill's own facts beside its report row (`reports.drill`): who started it and, for one
    the schedule sent, the term it was for. The unique `term` makes the term's drill once-only:
    a second scheduler (or a restart) inserting the same term fails, and sends nothing."""

    __tablename__ = "drills"
    __table_args__ = (UniqueConstraint("school_id", "term", name="uq_drills_school_term"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), unique=True)
    # "2026-09-02": the first day of the term the schedule sent it for; null when started in chat.
    term: Mapped[str | None] = mapped_column(String(40))
    started_by: Mapped[str] = mapped_column(String(320))  # an e-mail, or "scheduler"
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
