"""A multi-academy trust's configuration (config/trust.example.yaml): its schools, each with the
school file it would have on its own deployment, and the trust's own people (its safeguarding
lead, its IT team), who belong to no one school.

Checked whole before anything uses it: `load_trust` reads the trust file and every school file
it names, and raises `TrustConfigError` with every problem of every file, each line naming its
file, so that the IT person fixes them in one go rather than one start at a time. A single
school's deployment is a trust of one (`one_school`), under the key `default`.

The school key is what every record of the school will carry: lower-case letters, digits and
hyphens, fixed once records exist (renaming a school changes its `name`, not its key).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.school.config import Person, SchoolConfig, load_school_config
from bot.school.contacts import NonEmptyStr, checked_email
from bot.school.loading import (
    FieldProblem,
    SchoolConfigError,
    describe_validation_error,
    read_yaml_mapping,
)
from bot.school.roles import Role

SINGLE_SCHOOL_KEY = "default"
_KEY = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")


class TrustRole(StrEnum):
    """Roles above the schools, given in the trust file only (a school file refuses them)."""

    SAFEGUARDING_LEAD = "trust_safeguarding_lead"  # sees every school's cases; each view recorded
    IT = "trust_it"  # manages configuration; sees no case


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class TrustPerson(_Model):
    email: str
    name: NonEmptyStr
    roles: tuple[TrustRole, ...]

    @field_validator("roles")
    @classmethod
    def _some_roles(cls, roles: tuple[TrustRole, ...]) -> tuple[TrustRole, ...]:
        # Checked here, not as a minimum length, which would also be reported (wrongly) when
        # the only role given is refused.
        if not roles:
            raise ValueError("give at least one role: trust_safeguarding_lead or trust_it")
        return roles

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str) -> str:
        return checked_email(value)


class SchoolEntry(_Model):
    key: str
    file: Path  # relative to the trust file's folder, or absolute
    pupils: Annotated[int, Field(ge=1)] | None = None  # for figures per 100 pupils

    @field_validator("key")
    @classmethod
    def _check_key(cls, value: str) -> str:
        if not _KEY.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a school key; use lower-case letters, digits and hyphens "
                "(up to 40, not starting or ending with a hyphen), e.g. oakfield-primary"
            )
        return value


class TrustEscalation(_Model):
    """The trust's final level: a case no school's chain has had acknowledged after this long
    goes to the trust's safeguarding lead too."""

    after_minutes: Annotated[int, Field(ge=1)]


class TrustFile(_Model):
    name: NonEmptyStr
    schools: tuple[SchoolEntry, ...]
    people: tuple[TrustPerson, ...] = ()
    escalation: TrustEscalation | None = None

    @field_validator("schools")
    @classmethod
    def _schools_once(cls, schools: tuple[SchoolEntry, ...]) -> tuple[SchoolEntry, ...]:
        if not schools:
            raise ValueError("list at least one school (key and file)")
        _once([school.key for school in schools], "key", "school key")
        _once([school.file.as_posix() for school in schools], "file", "school file")
        return schools

    @field_validator("people")
    @classmethod
    def _people_once(cls, people: tuple[TrustPerson, ...]) -> tuple[TrustPerson, ...]:
        _once([person.email for person in people], "email", "person")
        return people


def _once(values: list[str], field: str, what: str) -> None:
    """Refuse the first value given again, pointing at where it comes again."""
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise FieldProblem((index, field), f"{value!r} is listed twice; each {what} once")
        seen.add(value)


class TrustConfigError(Exception):
    """The trust file, or a school file it names, cannot be used: `str(error)` says every
    problem found, one line each, `<file>: <field>: <what is wrong>`."""

    def __init__(self, errors: list[SchoolConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


@dataclass(frozen=True)
class Trust:
    name: str
    schools: Mapping[str, SchoolConfig]  # by key, in the trust file's order
    pupils: Mapping[str, int]  # by key, for the schools whose pupil numbers are given
    people: tuple[TrustPerson, ...] = ()
    # The final level, after the schools' own chains (None: the trust file sets none).
    escalate_after: timedelta | None = None

    @property
    def leads(self) -> tuple[str, ...]:
        """The trust's safeguarding leads' addresses."""
        return tuple(p.email for p in self.people if TrustRole.SAFEGUARDING_LEAD in p.roles)

    def schools_of(self, email: str) -> tuple[str, ...]:
        """The keys of the schools whose file names this person: more than one, and a report
        asks them which school it is for."""
        return tuple(key for key, school in self.schools.items() if school.person(email))

    def roles_of(self, email: str) -> frozenset[TrustRole]:
        wanted = email.strip().lower()
        return frozenset(
            role for person in self.people if person.email == wanted for role in person.roles
        )


def one_school(school: SchoolConfig) -> Trust:
    """A deployment for one school, from its school file alone: a trust of that school."""
    return Trust(name=school.name, schools={SINGLE_SCHOOL_KEY: school}, pupils={})


def load_trust(path: Path) -> Trust:
    """Read and check the trust file and every school file it names; raises
    `TrustConfigError` with all their problems."""
    try:
        data = read_yaml_mapping(path)
        try:
            found = TrustFile.model_validate(data)
        except ValidationError as error:
            raise describe_validation_error(path, error, TrustFile) from None
    except SchoolConfigError as error:
        raise TrustConfigError([error]) from None
    schools: dict[str, SchoolConfig] = {}
    errors: list[SchoolConfigError] = []
    for entry in found.schools:
        file = entry.file if entry.file.is_absolute() else path.parent / entry.file
        try:
            schools[entry.key] = load_school_config(file)
        except SchoolConfigError as error:
            errors.append(error)
    if errors:
        raise TrustConfigError(errors)
    pupils = {entry.key: entry.pupils for entry in found.schools if entry.pupils is not None}
    after = found.escalation.after_minutes if found.escalation is not None else None
    return Trust(
        name=found.name,
        schools=schools,
        pupils=pupils,
        people=found.people,
        escalate_after=None if after is None else timedelta(minutes=after),
    )


def trust_directory(trust: Trust) -> SchoolConfig:
    """Everyone on the staff of any of the trust's schools, as one list: whom a channel of the
    trust's deployment signs in and shows (the web chat). Someone in several schools' files is
    listed once, the first school's entry, with every role any school gives them, so a check
    the channel makes by role (a DSL's shorter idle time, multi-factor sign-in) is the
    strictest that applies. What they may do is still decided by each school, in its own part."""
    merged: dict[str, Person] = {}
    for school in trust.schools.values():
        for person in school.people:
            known = merged.get(person.email)
            if known is None:
                merged[person.email] = person
                continue
            roles = (*known.roles, *(r for r in person.roles if r not in known.roles))
            merged[person.email] = known.model_copy(update={"roles": roles})
    for own in trust.people:  # the trust's own, in no school's file
        if own.email not in merged:
            merged[own.email] = _as_signed_in(own)
    first = next(iter(trust.schools.values()))
    return first.model_copy(update={"name": trust.name, "people": tuple(merged.values())})


def _as_signed_in(person: TrustPerson) -> Person:
    """A trust person as the sign-in sees them: the lead, who sees cases, with a DSL's
    stricter session (its idle time, multi-factor, signing in again to open a case); the IT
    team, who see none, as staff. The roles decide nothing else: no school's file has them."""
    sees_cases = TrustRole.SAFEGUARDING_LEAD in person.roles
    return Person(
        email=person.email, name=person.name, roles=(Role.DSL if sees_cases else Role.STAFF,)
    )
