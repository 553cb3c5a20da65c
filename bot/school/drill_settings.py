"""The school file's `drills:` section: how often the schedule sends a drill (a test alert
through the real chain, bot/cases/drills.py) and at what time of a school day."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.school.loading import hh_mm


class DrillSettings(BaseModel):
    """`drills: {per_term: 1, at: "10:30"}` (the default), or `drills: off`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Drills the schedule sends each term: 0 is none (the DSL can still type `drill`). A drill
    # started in chat in a term counts towards it.
    per_term: Annotated[int, Field(ge=0, le=3)] = 1
    # The school's time of day, on a school day from the term's second week: after the start
    # of the day's lessons, not in the rush of the first days back.
    at: time = time(10, 30)

    @model_validator(mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        # `drills: off` (YAML reads it as false) or `drills: none`
        if value is False or value is None or value in ("off", "none"):
            return {"per_term": 0}
        return value

    @field_validator("at", mode="before")
    @classmethod
    def _parse_at(cls, value: object) -> object:
        return hh_mm(value, example="10:30")
