"""The contacts beyond the school, as lines for the messages that show them: the reporter's
confirmation, an alert sent outside school hours, and the form that closes a case.

Which contacts fit a case comes from the school file (bot/school/contacts.py); the words from
bot/words/en.yaml. The channels' renderers escape every line, as they do all text.
"""

from __future__ import annotations

from bot.delivery.messages import Notice, Outbound
from bot.school.config import SchoolConfig
from bot.school.contacts import Contact, LocalContact, Route, case_routes
from bot.words import strings
from storage.models import Report


def line(contact: Contact | LocalContact | Route) -> str:
    """One contact: its name, and its phone number, its web address or both."""
    phone = contact.phone
    web = getattr(contact, "web", None)
    if phone and web:
        return strings.CONTACT_PHONE_AND_WEB.format(name=contact.name, phone=phone, web=web)
    if web:
        return strings.CONTACT_WEB.format(name=contact.name, web=web)
    return strings.CONTACT_PHONE.format(name=contact.name, phone=phone)


def still_worried(school: SchoolConfig) -> str:
    """What the reporter's confirmation adds: whom to call if a child is at risk and the DSL
    cannot be reached."""
    national = school.contacts.national
    emergency = national.police_emergency.phone or ""
    care = school.contacts.childrens_social_care
    if care is None:
        phone = national.nspcc.phone or national.nspcc.web or ""
        return strings.STILL_WORRIED_NO_SOCIAL_CARE.format(phone=phone, emergency=emergency)
    out_of_hours = ""
    if care.out_of_hours_phone:
        out_of_hours = strings.STILL_WORRIED_OUT_OF_HOURS.format(phone=care.out_of_hours_phone)
    return strings.STILL_WORRIED.format(
        phone=care.phone, name=care.name, out_of_hours=out_of_hours, emergency=emergency
    )


def social_care_line(school: SchoolConfig) -> str:
    care = school.contacts.childrens_social_care
    if care is None:
        return strings.CONTACT_MISSING.format(
            what=strings.SOCIAL_CARE_CONTACT, field="contacts.childrens_social_care"
        )
    if care.out_of_hours_phone:
        return strings.CONTACT_OUT_OF_HOURS.format(
            name=care.name, phone=care.phone, out_of_hours=care.out_of_hours_phone
        )
    return strings.CONTACT_PHONE.format(name=care.name, phone=care.phone)


def out_of_hours_lines(school: SchoolConfig, report: Report) -> list[str]:
    """An alert sent outside school hours: social care (and its out-of-hours number), the
    police, the school's own emergency contacts, the NSPCC, and what fits the case."""
    national, emergency = school.contacts.national, school.emergency_contacts
    return [
        social_care_line(school),
        line(national.police_non_emergency),
        *(line(c) for c in (emergency.police, emergency.local_authority, *emergency.out_of_hours)),
        *_fitting(school, report),
        line(national.nspcc),
    ]


def close_form(school: SchoolConfig, report: Report) -> list[Outbound]:
    """Shown when the form that closes a case starts: whom its decision may involve."""
    national = school.contacts.national
    lines = [
        social_care_line(school),
        line(national.police_emergency),
        line(national.police_non_emergency),
        line(school.emergency_contacts.police),
    ]
    if report.allegation:
        lado = school.allegations.lado
        lines.append(
            line(lado)
            if lado is not None
            else strings.CONTACT_MISSING.format(
                what=strings.LADO_CONTACT_NAME, field="allegations.lado"
            )
        )
    if report.category == "radicalisation" and school.contacts.prevent is None:
        lines.append(
            strings.CONTACT_MISSING.format(what=strings.PREVENT_CONTACT, field="contacts.prevent")
        )
    lines += [*_fitting(school, report), line(national.nspcc)]
    return [Notice("\n".join([strings.CLOSE_CONTACTS, *lines]), "info")]


def _fitting(school: SchoolConfig, report: Report) -> list[str]:
    routes = case_routes(school, category=report.category, subcategory=report.subcategory)
    return [line(route) for route in routes]
