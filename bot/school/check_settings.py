"""The school file's `monitoring: checks:`: how often the ICT lead is asked to
run and record a filtering check (DfE filtering and monitoring standards), and at what time."""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from bot.school.loading import hh_mm


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckSettings(_Model):
    """Default: once a half term (each term listed in `calendar: terms` is a half term; with
    none listed, every six weeks), at 09:00 school time on its first school day."""

    every: Literal["half_term", "term", "month"] = "half_term"
    at: time = time(9, 0)

    @field_validator("at", mode="before")
    @classmethod
    def _hh_mm(cls, value: object) -> object:
        return hh_mm(value, example="09:00")
