"""The school config's `alerts: nothing_done:`: when an acknowledged case with no note, action or
referral recorded since reminds the person who acknowledged it, then the DSL, then the head."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

_HH_MM = re.compile(r"(\d{1,2}):(\d\d)")


class NothingDone(BaseModel):
    """Defaults (issue 17): the next school day at 12:00; 2 hours after it was acknowledged for
    an urgent case; the DSL one interval after the first reminder, the head one more after."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    normal_by: time = time(12, 0)  # on the school day after the one it was acknowledged
    urgent_after_minutes: Annotated[float, Field(gt=0)] = 120
    then_every_minutes: Annotated[float, Field(gt=0)] = 60

    @field_validator("normal_by", mode="before")
    @classmethod
    def _parse_hh_mm(cls, value: object) -> object:
        if isinstance(value, time):
            return value
        found = _HH_MM.fullmatch(value.strip()) if isinstance(value, str) else None
        if found is None or int(found[1]) > 23 or int(found[2]) > 59:
            raise ValueError(f"{value!r} is not a time; write it as HH:MM (24-hour), e.g. 12:00")
        return time(int(found[1]), int(found[2]))
