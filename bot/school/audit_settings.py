"""The school config's `audit:` and `training:` sections: when the staff self-audit runs, how it
reminds, and the training dates the school already holds (policy §11, §12, Appendix 1)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuditSettings(_Model):
    """The annual self-audit. Defaults: it starts at 09:00 on 1 September (school timezone),
    reminds those who have not finished after 7 and 14 days, and closes after 28 days."""

    flow: str = "staff_audit"
    start_cron: str = "0 9 1 9 *"  # minute hour day month weekday
    open_days: Annotated[int, Field(ge=1, le=365)] = 28
    reminder_days: tuple[Annotated[int, Field(ge=1, le=365)], ...] = (7, 14)
    max_reminders: Annotated[int, Field(ge=0, le=10)] = 2
    slack_user_group: str | None = None  # ask only this Slack user group (an id, S...)
    policy_review: date | None = (
        None  # the next annual policy review (§12): DSL reminded a month before
    )

    @field_validator("start_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value)
        except ValueError as error:
            raise ValueError(f"{value!r} is not a crontab line ({error})") from None
        return value

    @field_validator("reminder_days")
    @classmethod
    def _increasing(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if list(value) != sorted(set(value)):
            raise ValueError("reminder_days must increase, e.g. [7, 14]")
        return value


class TrainingDates(_Model):
    """What the school's records already say about one person's training (§11)."""

    email: str
    induction: date | None = None
    refresher: date | None = None  # the last annual online-safety refresher
    dsl: date | None = None  # the last DSL training (every two years, for DSL and deputies)
    dsl_update: date | None = None  # their last update (at least annually; DSL training counts)
