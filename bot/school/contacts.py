"""Who the school and its staff contact beyond the DSL: the local routes (children's social
care's front door, the Prevent team; the LADO is under `allegations.lado`) and the national
ones, which come with their public numbers and addresses and may be changed in the file.

The local routes differ in every area, so they have no default: a file without them still
loads, and `missing_local_contacts` names what to add (the bot warns when it starts).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

if TYPE_CHECKING:
    from bot.school.config import SchoolConfig

NonEmptyStr = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


def checked_email(value: str) -> str:
    """An e-mail address from the school file, lower-cased, or a clear refusal."""
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise ValueError(f"{value!r} does not look like an e-mail address (name@example.org)")
    return email


def quoted_phone(value: object) -> object:
    """A phone number as written: one YAML read as a number (its leading 0 lost) is refused."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f'put the number in quotes, e.g. "01632 960000" (YAML read {value})')
    return value


class Contact(_Model):
    name: NonEmptyStr
    phone: NonEmptyStr
    email: str | None = None
    notes: str | None = None

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_is_text(cls, value: object) -> object:
        return quoted_phone(value)

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        return None if value is None else checked_email(value)


class EmergencyContacts(_Model):
    police: Contact
    local_authority: Contact
    out_of_hours: tuple[Contact, ...] = ()  # policy §10.1


class SocialCare(_Model):
    """The local authority's children's social care front door (often a MASH: multi-agency
    safeguarding hub), where anyone can refer a child at risk, and its out-of-hours line."""

    name: NonEmptyStr
    phone: NonEmptyStr
    out_of_hours_phone: str | None = None
    web: str | None = None
    notes: str | None = None

    @field_validator("phone", "out_of_hours_phone", mode="before")
    @classmethod
    def _phone_is_text(cls, value: object) -> object:
        return quoted_phone(value)


class LocalContact(_Model):
    name: NonEmptyStr
    phone: NonEmptyStr
    web: str | None = None
    notes: str | None = None

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_is_text(cls, value: object) -> object:
        return quoted_phone(value)


class Route(_Model):
    """A national route: a phone number, a web address for reports, or both."""

    name: NonEmptyStr
    phone: str | None = None
    web: str | None = None

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_is_text(cls, value: object) -> object:
        return quoted_phone(value)

    @model_validator(mode="after")
    def _somewhere_to_go(self) -> Route:
        if not self.phone and not self.web:
            raise ValueError("give a phone number, a web address (web), or both")
        return self

    @field_validator("web")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError(f"{value!r} is not a web address; start it with https://")
        return value


class NationalRoutes(_Model):
    """The national routes, with the numbers and addresses each organisation publishes (a
    school may correct one here, giving its whole entry)."""

    police_emergency: Route = Route(name="Police, in an emergency", phone="999")
    police_non_emergency: Route = Route(name="Police, not an emergency", phone="101")
    nspcc: Route = Route(
        name="NSPCC helpline (advice for adults worried about a child)",
        phone="0808 800 5000",
        web="https://www.nspcc.org.uk/keeping-children-safe/reporting-abuse/report/",
    )
    ceop: Route = Route(
        name="CEOP Safety Centre (online sexual abuse or grooming)",
        web="https://www.ceop.police.uk/safety-centre/",
    )
    iwf: Route = Route(
        name="Internet Watch Foundation (child sexual abuse images online)",
        web="https://report.iwf.org.uk/",
    )
    report_harmful_content: Route = Route(
        name="Report Harmful Content (harmful but legal content a platform has not removed)",
        web="https://reportharmfulcontent.com/",
    )


class Contacts(_Model):
    """The school file's `contacts:` section."""

    childrens_social_care: SocialCare | None = None
    prevent: LocalContact | None = None  # the local authority's Prevent team
    national: NationalRoutes = NationalRoutes()


def missing_local_contacts(school: SchoolConfig) -> list[str]:
    """The local contacts the file does not give, each as "<field>: <why it matters>"."""
    contacts = school.contacts
    missing = []
    care = contacts.childrens_social_care
    if care is None:
        missing.append(
            "contacts.childrens_social_care: children's social care's front door (MASH) is "
            "not given; staff are told the NSPCC helpline instead"
        )
    elif not care.out_of_hours_phone:
        missing.append(
            "contacts.childrens_social_care.out_of_hours_phone: the out-of-hours number of "
            "children's social care is not given"
        )
    if school.allegations.lado is None:
        missing.append(
            "allegations.lado: the local authority designated officer (LADO) is not given"
        )
    if contacts.prevent is None:
        missing.append("contacts.prevent: the local Prevent team is not given")
    return missing


# Which national routes and local teams fit a case, by the values the built-in flows record
# (a school's own categories get the general ones). Sextortion, from whichever category it was
# reported, is CEOP's and the IWF's (Report Remove), as the NCA's 2024 alert says.
_CEOP = {
    "contact",
    "image",
    "grooming",
    "exploitation",
    "sharing_explicit",
    "sexual_imagery",
    "sextortion",
}
_IWF = {"image", "possibly_illegal", "sharing_explicit", "sexual_imagery", "sextortion"}
_HARMFUL_CONTENT = {"content", "cyberbullying", "conduct", "ai_abuse", "bullying_image"}
_PREVENT = {"radicalisation"}


def case_routes(
    school: SchoolConfig, *, category: str | None, subcategory: str | None
) -> Iterator[LocalContact | Route]:
    """The routes beyond social care and the police that fit a case of this kind."""
    national = school.contacts.national
    values = {category, subcategory}
    if values & _PREVENT and school.contacts.prevent is not None:
        yield school.contacts.prevent
    if values & _CEOP:
        yield national.ceop
    if values & _IWF:
        yield national.iwf
    if values & _HARMFUL_CONTENT:
        yield national.report_harmful_content
