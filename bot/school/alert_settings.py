"""The school file's `alerts:` section: who is alerted, in which order and after how long, until
somebody acknowledges; and the reminders when an acknowledged case then sees nothing done."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.school.loading import FieldProblem
from bot.school.nothing_done import NothingDone
from bot.school.roles import Role


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class EscalationLevel(_Model):
    """Who is alerted, and how long after the report if nobody has acknowledged it."""

    after_minutes: Annotated[float, Field(ge=0)]
    roles: Annotated[tuple[Role, ...], Field(min_length=1)]


class EscalationPlan(_Model):
    levels: Annotated[tuple[EscalationLevel, ...], Field(min_length=1)]
    repeat_every_minutes: Annotated[float, Field(gt=0)]

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.levels[0].after_minutes != 0:
            raise FieldProblem(
                ("levels", 0, "after_minutes"), "the first level must be alerted at once (0)"
            )
        for index in range(1, len(self.levels)):
            if self.levels[index].after_minutes <= self.levels[index - 1].after_minutes:
                raise FieldProblem(
                    ("levels", index, "after_minutes"),
                    "each level must come later than the one before it",
                )
        return self


def _plan(head_after: float, repeat: float) -> EscalationPlan:
    return EscalationPlan(
        levels=(
            EscalationLevel(after_minutes=0, roles=(Role.DSL, Role.DEPUTY_DSL)),
            EscalationLevel(after_minutes=head_after, roles=(Role.HEADTEACHER,)),
        ),
        repeat_every_minutes=repeat,
    )


class Alerts(_Model):
    """How reports reach the safeguarding team (the defaults suit most schools)."""

    # False (the default): alerts carry only the reference, kind, urgency and who reported it, as
    # a child's words do not belong on a phone's lock screen; the details are shown on "View",
    # and every view is recorded. True: alerts carry the whole report.
    details_in_alert: bool = False
    normal: EscalationPlan = _plan(10, 15)
    urgent: EscalationPlan = _plan(3, 5)
    nothing_done: NothingDone = NothingDone()  # acknowledged, then nothing recorded
