"""Filtering and monitoring: the checks asked and made, the annual review, the providers' alerts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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


class FilteringCheckRequest(SchoolRecord, Base):
    """The scheduled ask to the ICT lead to run a filtering check, one per period (a half term,
    a term, a month, or six weeks): the unique `period` keeps it once, however many schedulers
    run (bot/monitoring/checks_schedule.py)."""

    __tablename__ = "filtering_check_requests"
    __table_args__ = (
        UniqueConstraint("school_id", "period", name="uq_filtering_check_requests_school_period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date] = mapped_column(Date)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class FilteringCheck(SchoolRecord, Base):
    """One recorded filtering check (DfE filtering and monitoring standards: check that filtering
    works, and record it). The results are codes, by test category; what was typed (the device,
    the location, the action taken) is sealed in `text_enc`."""

    __tablename__ = "filtering_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    checked_by: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(20))
    flow_version: Mapped[int] = mapped_column(Integer)
    user_group: Mapped[str] = mapped_column(String(48))  # the flow's option value
    test: Mapped[str] = mapped_column(String(48))  # the flow's option value
    # category id -> blocked | not_blocked | not_tested
    results: Mapped[dict[str, str]] = mapped_column(JSON)
    failed: Mapped[bool] = mapped_column(Boolean)
    text_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))


class FilteringReview(SchoolRecord, Base):
    """The year's review of filtering and monitoring (DfE standard): opened once per year (the
    unique year decides between two schedulers), answered in chat by the senior leader or the
    DSL, and made into the review document for governors (bot/monitoring/review.py)."""

    __tablename__ = "filtering_reviews"
    __table_args__ = (
        UniqueConstraint("school_id", "year", name="uq_filtering_reviews_school_year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    # The review year's records: from period_start up to (not including) period_end.
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The figures as they were when it opened: [{"key", "label", "value"}], numbers only.
    figures: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    answers_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20))  # open | completed
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(320))


class MonitoringAlert(SchoolRecord, Base):
    """One alert a monitoring provider sent (bot/monitoring): the provider's id for it, once.

    The unique key is the replay protection: the same alert sent again to the same school (by
    the provider's retry, or by someone who copied a signed request) is refused and stores
    nothing. Nothing of the
    alert's content is here: that is in its report, encrypted.
    """

    __tablename__ = "monitoring_alerts"
    # Within the school: another school's alert of the same id is its own (0022).
    __table_args__ = (
        UniqueConstraint(
            "school_id", "provider", "alert_id", name="uq_monitoring_alerts_school_alert"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    alert_id: Mapped[str] = mapped_column(String(200))
    severity: Mapped[int] = mapped_column(Integer)  # bot.monitoring.provider_alert.Severity
    group_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_groups.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class MonitoringGroup(SchoolRecord, Base):
    """Repeated alerts of one provider for one account, category and hour: one report, a count.

    `group_key` is a keyed digest of the provider, the account, the category and the hour (the
    account is a pupil's login: never stored in the clear). Its unique key is what makes two
    processes that receive the first alert of a group at once file one report, not two.
    """

    __tablename__ = "monitoring_groups"
    __table_args__ = (
        UniqueConstraint("school_id", "group_key", name="uq_monitoring_groups_school_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_key: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(40))
    hour: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    count: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_at: Mapped[datetime] = mapped_column(UtcDateTime())
