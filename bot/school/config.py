"""The school's configuration (config/school.yaml): the school, its hours, people and contacts.

Loaded once at start with `load_school_config`; a bad file raises `SchoolConfigError`, whose
message names the file, the field and the problem, and should be shown as-is before exiting.
E-mail (lower case) is the key for people across chat platforms.
"""

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.school.alert_rules import AlertEmail, AlertRule, AlertRules, AlertSms, check_alert_rules
from bot.school.alert_settings import Alerts
from bot.school.alert_settings import EscalationLevel as EscalationLevel  # re-exported
from bot.school.alert_settings import EscalationPlan as EscalationPlan  # re-exported
from bot.school.audit_settings import AuditSettings, TrainingDates
from bot.school.contacts import (
    Contact,
    Contacts,
    EmergencyContacts,
    checked_email,
    missing_local_contacts,
)
from bot.school.drill_settings import DrillSettings
from bot.school.filtering_standard import FilteringAndMonitoring
from bot.school.loading import FieldProblem, describe_validation_error, hh_mm, read_yaml_mapping
from bot.school.loading import SchoolConfigError as SchoolConfigError  # re-exported
from bot.school.monitoring_settings import Monitoring
from bot.school.roles import HANDLER_ROLES as HANDLER_ROLES  # re-exported
from bot.school.roles import Role as Role  # re-exported
from bot.school.rota import Rota, check_people
from bot.school.terms import Closure, SchoolCalendar

log = logging.getLogger(__name__)


Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WEEKDAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

NonEmptyStr = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Briefings(_Model):
    """Staff briefings (bot/briefings): the school's online safety policy, as the policy
    template links it."""

    policy_url: str | None = None  # the school's online safety policy document
    policy_each_year: bool = True  # a draft of the policy briefing as each academic year starts
    update_each_term: bool = True  # a draft of a termly update as each listed term starts


class Person(_Model):
    email: str
    name: NonEmptyStr
    roles: Annotated[tuple[Role, ...], Field(min_length=1)]
    # More channels, after a delay, while an alert to them waits (bot/school/alert_rules.py).
    alert_rules: AlertRules = ()

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str) -> str:
        return checked_email(value)

    def alert_rule(self, channel: str) -> AlertRule | None:
        return next((rule for rule in self.alert_rules if rule.channel == channel), None)

    def has_role(self, role: Role | str) -> bool:
        return Role(role) in self.roles

    @property
    def handles_cases(self) -> bool:
        """The DSL, a deputy or the headteacher: alerted first, and may act on cases."""
        return any(self.has_role(role) for role in HANDLER_ROLES)

    @property
    def is_safeguarding_lead(self) -> bool:
        """DSL or deputy DSL."""
        return Role.DSL in self.roles or Role.DEPUTY_DSL in self.roles

    @property
    def governor_only(self) -> bool:
        """A governor and nothing else: not staff, so neither in the staff training record nor
        asked the staff self-audit (a governor's training is the governing board's, policy §11)."""
        return set(self.roles) == {Role.GOVERNOR}


class SchoolHours(_Model):
    days: Annotated[tuple[Day, ...], Field(min_length=1)] = ("mon", "tue", "wed", "thu", "fri")
    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse_hh_mm(cls, value: object) -> object:
        return hh_mm(value, example="08:30")

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        if self.end <= self.start:
            raise FieldProblem(
                ("end",), f"{self.end:%H:%M} must be after the start ({self.start:%H:%M})"
            )
        return self


class Allegations(_Model):
    """Who takes an allegation about an adult when the headteacher or the chair of governors
    cannot (KCSIE part 4): a school without one of them must name people here."""

    # E-mails of people in the file, tried after the head and the chair, in this order.
    fallback: tuple[str, ...] = ()
    lado: Contact | None = None  # the local authority designated officer
    # Who takes a low-level concern (KCSIE part 4 section two), as the school's policy says.
    low_level_concerns_to: Literal["headteacher", "dsl"] = "headteacher"

    @field_validator("fallback")
    @classmethod
    def _check_emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(checked_email(email) for email in value)


class Retention(_Model):
    """When a closed case comes up for review, by kind (bot/cases/retention.py). Nothing is
    ever deleted automatically: the DSL is told, and decides."""

    # A child protection record: the child's date of birth + this (IRMS toolkit), or the
    # closing date + this when no date of birth was recorded.
    review_after_years: Annotated[int, Field(ge=1, le=100)] = 25
    # An allegation about an adult: this long from the allegation (KCSIE part 4: or until
    # their normal retirement age, if later, which the bot cannot know).
    allegation_years: Annotated[int, Field(ge=10, le=100)] = 10
    # A filtering report with no concern about a child: the school's own period.
    filtering_years: Annotated[int, Field(ge=1, le=100)] = 6


class SignIn(_Model):
    """The web chat's sign-in through the school's identity provider (bot/channels/web/oidc):
    who must have used multi-factor authentication (DfE cyber security standards: MFA on
    accounts that reach personal data)."""

    require_mfa_for: tuple[Role, ...] = HANDLER_ROLES


@dataclass(frozen=True)
class _PeopleIndex:
    people: tuple[Person, ...]
    by_email: dict[str, Person]
    by_role: dict[Role, tuple[Person, ...]]

    @classmethod
    def of(cls, people: tuple[Person, ...]) -> Self:
        by_role: dict[Role, list[Person]] = {}
        for person in people:
            for role in person.roles:
                by_role.setdefault(role, []).append(person)
        return cls(
            people,
            {person.email: person for person in people},
            {role: tuple(found) for role, found in by_role.items()},
        )


class SchoolConfig(_Model):
    name: NonEmptyStr
    timezone: str
    school_hours: SchoolHours
    calendar: SchoolCalendar = SchoolCalendar()
    people: tuple[Person, ...]
    emergency_contacts: EmergencyContacts
    filtering_provider: Contact  # policy §3.4
    chair_of_governors_email: str | None = None
    alerts: Alerts = Alerts()
    alert_email: AlertEmail | None = None  # the SMTP server of the people's e-mail rules
    alert_sms: AlertSms | None = None  # the SMS provider of their text message rules
    rota: Rota | None = None  # who is on duty first, when (bot/school/rota.py)
    allegations: Allegations = Allegations()
    retention: Retention = Retention()
    contacts: Contacts = Contacts()
    audit: AuditSettings = AuditSettings()
    drills: DrillSettings = DrillSettings()  # termly test alerts (bot/cases/drills.py)
    briefings: Briefings = Briefings()  # staff briefings' templates and drafts
    # Filtering and monitoring: the providers' alerts (by webhook or e-mail) and the ICT lead's
    # regular checks (bot/school/monitoring_settings.py).
    monitoring: Monitoring = Monitoring()
    training: tuple[TrainingDates, ...] = ()
    # The local authority calls early help "family help": the case action is named so.
    family_help: bool = False
    filtering_and_monitoring: FilteringAndMonitoring = FilteringAndMonitoring()  # DfE standard
    sign_in: SignIn = SignIn()
    _people_index: _PeopleIndex | None = PrivateAttr(default=None)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a known timezone; use an IANA name such as Europe/London"
            ) from None
        return value

    @field_validator("people")
    @classmethod
    def _check_people(cls, people: tuple[Person, ...]) -> tuple[Person, ...]:
        first: dict[str, int] = {}
        for index, person in enumerate(people):
            if person.email in first:
                raise FieldProblem(
                    (index, "email"),
                    f"{person.email!r} is already used by people[{first[person.email]}]; "
                    "each person needs their own e-mail address",
                )
            first[person.email] = index
        heads = [i for i, person in enumerate(people) if Role.HEADTEACHER in person.roles]
        if len(heads) > 1:
            raise FieldProblem(
                (heads[1], "roles"),
                f"people[{heads[0]}] is already the headteacher; only one person can be",
            )
        if not any(Role.DSL in person.roles for person in people):
            raise FieldProblem(
                (), "nobody has the dsl role; give the designated safeguarding lead the role dsl"
            )
        return people

    @field_validator("chair_of_governors_email")
    @classmethod
    def _check_chair_email(cls, value: str | None) -> str | None:
        return None if value is None else checked_email(value)

    @model_validator(mode="after")
    def _chair_is_a_governor(self) -> Self:
        email, chair = self.chair_of_governors_email, self.chair_of_governors
        if email is not None and (chair is None or not chair.has_role(Role.GOVERNOR)):
            raise FieldProblem(
                ("chair_of_governors_email",),
                f"{email!r} is not a person with the governor role; add them to people "
                "with roles: [governor]",
            )
        return self

    @model_validator(mode="after")
    def _rota_names_the_team(self) -> Self:
        check_people(self)
        return self

    @model_validator(mode="after")
    def _rules_have_channels(self) -> Self:
        check_alert_rules(self)
        return self

    @model_validator(mode="after")
    def _someone_takes_allegations(self) -> Self:
        """Without a head and a chair, an allegation about the DSL would reach the DSL."""
        for index, email in enumerate(self.allegations.fallback):
            if self.person(email) is None:
                raise FieldProblem(
                    ("allegations", "fallback", index),
                    f"{email!r} is not one of the people above; add them to people",
                )
        missing = [
            what
            for what, there in (
                ("a headteacher", self.people_with(Role.HEADTEACHER)),
                ("a chair of governors (chair_of_governors_email)", self.chair_of_governors),
            )
            if not there
        ]
        if not missing:
            return self
        why = (
            f"the file has no {' and no '.join(missing)}, who take allegations about staff "
            "(KCSIE part 4)"
        )
        if not self.allegations.fallback:
            raise FieldProblem(
                ("allegations", "fallback"),
                f"{why}; name who takes them instead: e-mails of people above (a governor), "
                "and the local authority designated officer under allegations.lado",
            )
        governors = [self.person(e) for e in self.allegations.fallback]
        if not any(p is not None and p.has_role(Role.GOVERNOR) for p in governors):
            raise FieldProblem(
                ("allegations", "fallback"),
                f"{why}; the fallback must name at least one governor (roles: [governor])",
            )
        if self.allegations.lado is None:
            raise FieldProblem(
                ("allegations", "lado"),
                f"{why}; give the local authority designated officer (name and phone) here",
            )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def chair_of_governors(self) -> Person | None:
        email = self.chair_of_governors_email
        return None if email is None else self.person(email)

    def person(self, email: str) -> Person | None:
        """The person with this e-mail address (any case), if any."""
        return self._by_email.get(email.strip().lower())

    def handles_cases(self, email: str) -> bool:
        """Whether this address is the DSL's, a deputy's or the headteacher's."""
        person = self.person(email)
        return person is not None and person.handles_cases

    def people_with(self, *roles: Role | str) -> list[Person]:
        """Everyone with at least one of `roles`, in file order."""
        wanted = {Role(role) for role in roles}
        if len(wanted) == 1:
            return list(self._by_role.get(wanted.pop(), ()))
        return [person for person in self.people if wanted.intersection(person.roles)]

    # A trust's file can name thousands of staff, and these are asked on every turn and for
    # every case listed: looked up, not scanned. Built once per `people` (a copy of the config
    # with other people builds its own).
    @property
    def _by_email(self) -> dict[str, Person]:
        return self._index().by_email

    @property
    def _by_role(self) -> dict[Role, tuple[Person, ...]]:
        return self._index().by_role

    def _index(self) -> _PeopleIndex:
        index = self._people_index
        if index is None or index.people is not self.people:
            index = self._people_index = _PeopleIndex.of(self.people)
        return index

    def is_school_day(self, day: date, *, closures: Collection[Closure] = ()) -> bool:
        """Whether the school is open on `day`: one of its weekdays, in term, not a bank holiday
        of its region, not closed (in the file, or by `closures` recorded in chat)."""
        if _WEEKDAYS[day.weekday()] not in self.school_hours.days:
            return False
        return self.calendar.closed_because(day, extra=closures) is None

    def is_school_hours(self, moment: datetime, *, closures: Collection[Closure] = ()) -> bool:
        """Whether an aware `moment` falls on a school day, from start up to (not including) end,
        in the school's timezone."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("is_school_hours needs a timezone-aware datetime")
        local = moment.astimezone(self.tz)
        hours = self.school_hours
        if not hours.start <= local.time() < hours.end:
            return False
        return self.is_school_day(local.date(), closures=closures)


def load_school_config(path: Path) -> SchoolConfig:
    """Read and check the school configuration file; raises `SchoolConfigError`."""
    data = read_yaml_mapping(path)
    try:
        config = SchoolConfig.model_validate(data)
    except ValidationError as error:
        raise describe_validation_error(path, error, SchoolConfig) from None
    for missing in missing_local_contacts(config):  # local, so no default: said, not refused
        log.warning("%s: %s", path, missing)
    return config
