"""The school file's `filtering_and_monitoring:` section: the people and providers the DfE's
"Filtering and monitoring standards for schools and colleges" (March 2023, updated October 2024,
https://www.gov.uk/guidance/meeting-digital-and-technology-standards-in-schools-and-colleges/filtering-and-monitoring-standards-for-schools-and-colleges)
ask a school to name, and the day of the year its annual review opens.

The standard's first part asks the governing body to name "a member of the senior leadership
team and a governor, to be responsible for ensuring these standards are met", and the roles of
third parties such as the providers; the DSL is the school file's `dsl` role. Every field here
is optional so that a file without the section still loads: `missing_named_roles` says what is
not named, and the bot warns of it when it starts and in `python -m bot check`.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, field_validator

from bot.school.contacts import checked_email
from bot.school.roles import Role

if TYPE_CHECKING:
    from bot.school.config import SchoolConfig

log = logging.getLogger(__name__)
_MONTH_DAY = re.compile(r"(\d\d)-(\d\d)")
SECTION = "filtering_and_monitoring"


class FilteringAndMonitoring(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    # The member of the senior leadership team responsible (an e-mail of someone in people).
    senior_leader: str | None = None
    # The governor responsible (an e-mail of someone in people with the governor role).
    governor: str | None = None
    # Who provides filtering; when left out, the name of the top-level filtering_provider.
    filtering_provider: str | None = None
    monitoring_provider: str | None = None
    # The day each year the review opens, as MM-DD (school timezone, 09:00).
    review_date: str = "09-15"

    @field_validator("senior_leader", "governor")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        return None if value is None else checked_email(value)

    @field_validator("review_date", mode="before")
    @classmethod
    def _month_day(cls, value: object) -> object:
        found = _MONTH_DAY.fullmatch(value.strip()) if isinstance(value, str) else None
        if found is not None:
            try:
                date(2024, int(found[1]), int(found[2]))  # 2024: a leap year allows 02-29
            except ValueError:
                found = None
        if found is None:
            raise ValueError(
                f'{value!r} is not a day of the year; write it as "MM-DD", e.g. "09-15"'
            )
        return value

    def review_day(self, year: int) -> date:
        """The day the review of `year` opens (29 February falls back to the 28th)."""
        month, day = (int(part) for part in self.review_date.split("-"))
        try:
            return date(year, month, day)
        except ValueError:
            return date(year, month, day - 1)


def filtering_provider_name(school: SchoolConfig) -> str:
    """The filtering provider as the review names it."""
    return school.filtering_and_monitoring.filtering_provider or school.filtering_provider.name


def missing_named_roles(school: SchoolConfig) -> list[str]:
    """The standard's named roles the file does not give (or gives wrongly), each as
    "<field>: <what to do>"; empty when all are named."""
    section = school.filtering_and_monitoring
    missing = []
    leader = section.senior_leader
    if leader is None:
        missing.append(
            f"{SECTION}.senior_leader: the member of the senior leadership team responsible for "
            "filtering and monitoring is not named (DfE filtering and monitoring standards)"
        )
    elif school.person(leader) is None:
        missing.append(
            f"{SECTION}.senior_leader: {leader!r} is not one of the people; add them to people "
            "so the annual review can ask them"
        )
    governor = section.governor
    person = None if governor is None else school.person(governor)
    if governor is None:
        missing.append(
            f"{SECTION}.governor: the governor responsible for filtering and monitoring is not "
            "named (DfE filtering and monitoring standards)"
        )
    elif person is None or not person.has_role(Role.GOVERNOR):
        missing.append(
            f"{SECTION}.governor: {governor!r} is not a person with the governor role; add them "
            "to people with roles: [governor]"
        )
    if section.monitoring_provider is None:
        missing.append(
            f"{SECTION}.monitoring_provider: the monitoring provider is not named (write "
            '"none" if the school has no monitoring service)'
        )
    return missing


def warn_missing_named_roles(school: SchoolConfig) -> list[str]:
    """Log each missing named role as a warning (the bot still starts); returns them."""
    missing = missing_named_roles(school)
    for problem in missing:
        log.warning("FILTERING AND MONITORING: %s", problem)
    return missing
