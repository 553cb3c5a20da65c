"""The school config's `alerts: nothing_done:`: when an acknowledged case with no note, action or
referral recorded since reminds the person who acknowledged it, then the DSL, then the head."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.school.loading import hh_mm


class NothingDone(BaseModel):
    """Defaults: the next school day at 12:00; 2 hours after it was acknowledged for
    an urgent case; the DSL one interval after the first reminder, the head one more after."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    normal_by: time = time(12, 0)  # on the school day after the one it was acknowledged
    urgent_after_minutes: Annotated[float, Field(gt=0)] = 120
    then_every_minutes: Annotated[float, Field(gt=0)] = 60

    @field_validator("normal_by", mode="before")
    @classmethod
    def _parse_hh_mm(cls, value: object) -> object:
        return hh_mm(value, example="12:00")
