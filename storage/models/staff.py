"""What staff are asked and have done: the self-audit and briefings, their drafts, training."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, SchoolRecord
from storage.types import UtcDateTime


class AuditCampaign(SchoolRecord, Base):
    """A campaign that asks every member of staff, paced, with reminders: one academic year's
    staff online-safety self-audit (policy Appendix 1; kind "audit", title ""), or a staff
    briefing with read receipts (kind "briefing", its title). The unique key makes a second
    start (a double-fired cron, a restart, a DSL's "audit start", the same briefing sent twice
    in a year) a no-op. `flow_spec` is the question set as it was when the campaign started."""

    __tablename__ = "audit_campaigns"
    __table_args__ = (
        UniqueConstraint(
            "school_id",
            "kind",
            "academic_year",
            "title",
            name="uq_audit_campaigns_school_kind_year",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(  # audit | briefing
        String(20), default="audit", server_default="audit"
    )
    title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    academic_year: Mapped[str] = mapped_column(String(9))  # "2026-27"
    flow_id: Mapped[str] = mapped_column(String(60))
    flow_spec: Mapped[dict[str, object]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_by: Mapped[str] = mapped_column(String(320))  # an e-mail, or "scheduler"
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditParticipant(SchoolRecord, Base):
    """One member of staff in one campaign: where they were asked, how far they got, and their
    answers (encrypted: comments may name colleagues or pupils)."""

    __tablename__ = "audit_participants"
    __table_args__ = (UniqueConstraint("campaign_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("audit_campaigns.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # invited | started | finished
    answers_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    invited_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditMessage(SchoolRecord, Base):
    """An invitation or reminder to send, kept until sent: a restart resumes where it stopped,
    and the unique key means nobody gets the same one twice."""

    __tablename__ = "audit_messages"
    __table_args__ = (UniqueConstraint("participant_id", "kind", "n"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("audit_participants.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("audit_campaigns.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient_email: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(20))  # invite | reminder
    n: Mapped[int] = mapped_column(Integer)  # 0 for the invitation, 1.. for reminders
    status: Mapped[str] = mapped_column(String(20))  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
    platform_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TrainingRecord(SchoolRecord, Base):
    """A training a person completed (policy §11): induction, annual refresher, the two-yearly
    DSL training, or the self-audit itself; from the config, a DSL's command or the audit."""

    __tablename__ = "training_records"
    __table_args__ = (
        UniqueConstraint(
            "school_id", "email", "kind", "completed_on", name="uq_training_records_school_email"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    # induction | refresher | dsl | dsl_update | audit | briefing (one confirmed)
    kind: Mapped[str] = mapped_column(String(30))
    completed_on: Mapped[date] = mapped_column(Date())
    source: Mapped[str] = mapped_column(String(20))  # config | dsl | audit | briefing
    recorded_by: Mapped[str | None] = mapped_column(String(320))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BriefingDraft(SchoolRecord, Base):
    """A briefing the scheduler prepared for the DSL to approve (bot/briefings/drafts.py): the
    policy's as the academic year starts, a termly update as each term does. The unique `key`
    ("policy:2026", "update:2027-01-04") keeps it once, however many schedulers run; nothing
    goes to staff until the DSL sends it from the brief flow."""

    __tablename__ = "briefing_drafts"
    __table_args__ = (UniqueConstraint("school_id", "key", name="uq_briefing_drafts_school_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    template: Mapped[str] = mapped_column(String(20))
    prepared_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(20))  # "waiting" or "declined"
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
