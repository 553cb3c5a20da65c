"""Who an allegation may be about: the person picked, and anyone the answers may name.

Reporters name an adult every way there is ("Mrs. Whitcombe, chair of governors", "Jo
Whitcombe", "the head", a Slack mention, a Teams `<at>` tag), so the matching is
generous: when in doubt, the person is left out of the case, and whoever handles it is told who
and why. Worked out once, when the allegation becomes known, and kept encrypted with the report
(`reports.excluded_enc`), so a later edit of the school file cannot let anyone back in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.school.config import Person, Role, SchoolConfig
from bot.words import strings
from storage.crypto import Cipher, Misplaced
from storage.models import ChannelAddress, Report

WHO_STEP = "adult_who"
_SLACK_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
# A Slack mention is stored as the person saw it, "@" + the name Slack showed, or "@" + the
# Slack id when Slack could not name them (bot/channels/slack/markup.py); reports stored before
# that keep Slack's `<@U…>`.
_SLACK_ID = re.compile(r"(?<![\w@])@([UW][A-Z0-9]{6,})\b")
_SLACK_GROUP = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_TEAMS_TAG = re.compile(r"</?at>", re.IGNORECASE)
_IDENTIFIER = re.compile(r"[a-z0-9_]+")  # a choice's stored value, not something typed
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "madam", "prof"}


@dataclass
class Subjects:
    """Who is kept out of a case (e-mail -> why), and whether the subject was identified."""

    left_out: dict[str, str] = field(default_factory=dict)
    resolved: bool = False
    about_head: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def emails(self) -> frozenset[str]:
        return frozenset(self.left_out)

    def leave_out(self, person: Person | str, why: str) -> None:
        email = person if isinstance(person, str) else person.email
        self.left_out.setdefault(email.strip().lower(), why)

    def to_json(self) -> dict[str, Any]:
        return {
            "left_out": self.left_out,
            "resolved": self.resolved,
            "about_head": self.about_head,
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Subjects:
        return cls(
            dict(data.get("left_out") or {}),
            bool(data.get("resolved")),
            bool(data.get("about_head")),
            list(data.get("notes") or []),
        )


def stored(cipher: Cipher, report: Report) -> Subjects | None:
    """The subjects kept with the report, if they were worked out."""
    if report.excluded_enc is None:
        return None
    try:
        return Subjects.from_json(cipher.open(report, "excluded_enc"))
    except Misplaced:
        # Whom it is about cannot be known: unresolved, so the head (or chair) alone handles it.
        return Subjects(resolved=False, notes=[strings.STORED_ELSEWHERE])


def store(cipher: Cipher, report: Report, subjects: Subjects) -> None:
    cipher.seal(report, "excluded_enc", subjects.to_json())


async def slack_ids(session: AsyncSession, texts: Iterable[str]) -> dict[str, str]:
    """The e-mails the Slack identity cache holds for the Slack mentions in `texts`: by Slack
    id (`<@U…>`, "@U…") and by the name a mention showed ("@Jo Whitcombe", keyed with its "@")."""
    texts = list(texts)
    ids = {m[1] for text in texts for m in _mentions(text)}
    found: dict[str, str] = {}
    if ids:
        rows = await session.execute(
            select(ChannelAddress.platform_user_id, ChannelAddress.email).where(
                ChannelAddress.channel == "slack",
                ChannelAddress.platform_user_id.in_(ids),
                ChannelAddress.email.is_not(None),
            )
        )
        found.update({str(user_id): str(email) for user_id, email in rows})
    if any("@" in text for text in texts):
        named = await session.execute(
            select(ChannelAddress.display_name, ChannelAddress.email).where(
                ChannelAddress.channel == "slack",
                ChannelAddress.email.is_not(None),
                ChannelAddress.display_name.is_not(None),
            )
        )
        for name, email in named:
            key = f"@{name}"
            if name and any(_names(key, text) for text in texts):
                found[key] = str(email)
    return found


def _mentions(text: str) -> list[re.Match[str]]:
    return [*_SLACK_MENTION.finditer(text), *_SLACK_ID.finditer(text)]


def _names(mention: str, text: str) -> bool:
    """Whether `text` has "@Name" as a whole: not "@Jo Whitcombes" for "@Jo Whitcombe"."""
    return re.search(rf"(?<![\w@]){re.escape(mention)}(?![\w])", text) is not None


def texts_of(answers: Mapping[str, Any]) -> dict[str, str]:
    """Each typed answer of the report, by step: the allegation branch's words."""
    found: dict[str, str] = {}
    for step, value in answers.items():
        if isinstance(value, Mapping):
            value = value.get("name")
        if isinstance(value, str) and (step == WHO_STEP or not _IDENTIFIER.fullmatch(value)):
            found[step] = value
    return found


def find_subjects(
    school: SchoolConfig,
    answers: Mapping[str, Any],
    *,
    about_head: bool,
    labels: Mapping[str, str] | None = None,
    slack: Mapping[str, str] | None = None,
    reporter: str | None = None,
) -> Subjects:
    """Everyone an allegation's answers may name. `labels` names the steps for the reasons;
    `slack` maps Slack user ids to e-mails (the identity cache); `reporter`, the e-mail of
    whoever reported themselves (a self-report), who is then the adult concerned."""
    subjects = Subjects()
    labels, slack = labels or {}, slack or {}
    if reporter is not None:
        subjects.leave_out(reporter, "reported it about themselves")
        subjects.resolved = school.person(reporter) is not None
        about_head = about_head or any(
            h.email == reporter.strip().lower() for h in school.people_with(Role.HEADTEACHER)
        )
    picked = answers.get(WHO_STEP)
    if isinstance(picked, Mapping) and picked.get("email"):
        email = str(picked["email"]).strip().lower()
        subjects.leave_out(email, "picked as the adult concerned")
        subjects.resolved = school.person(email) is not None
    for step, text in texts_of(answers).items():
        where = labels.get(step, step.replace("_", " ").capitalize())
        named = _Matcher(school, text, slack, strict=step != WHO_STEP).named()
        for person, how in named:
            subjects.leave_out(person, f"“{where}” may name them ({how})")
        if step == WHO_STEP and named:
            subjects.resolved = True
        if any(m[1] not in slack for m in _mentions(text)):
            subjects.notes.append(
                f"A Slack mention in “{where}” matches nobody in the school file."
            )
    heads = school.people_with(Role.HEADTEACHER)
    if about_head:
        for head in heads:
            subjects.leave_out(head, "the reporter said it is about the headteacher")
    subjects.about_head = about_head or any(h.email in subjects.left_out for h in heads)
    return subjects


def _first_or_initial(word: str, first: str) -> bool:
    """ "A" or "Jo" before "Whitcombe", for Joanna: an initial, or a first name shortened."""
    return bool(word) and (word == first[:1] or (len(word) > 1 and first.startswith(word)))


def _words(text: str) -> list[str]:
    """Lower-case words without accents, apostrophes or a possessive 's."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"['’]s\b", "", plain).replace("'", "").replace("’", "")
    return re.findall(r"[a-z0-9]+", plain)


def _find(words: list[str], phrase: list[str]) -> list[int]:
    size = len(phrase)
    return [i for i in range(len(words) - size + 1) if size and words[i : i + size] == phrase]


class _Matcher:
    """One answer's text against the school's people. `strict` (answers other than "who is
    it about") asks a little more of a bare surname or role word, as those texts tell a story."""

    def __init__(
        self, school: SchoolConfig, text: str, slack: Mapping[str, str], *, strict: bool
    ) -> None:
        self.school, self.strict = school, strict
        self.found: dict[str, tuple[Person, str]] = {}
        for match in _mentions(text):
            person = school.person(slack.get(match[1], ""))
            if person is not None:
                self._add(person, "a Slack mention of them")
        for key, email in slack.items():
            person = school.person(email) if key.startswith("@") and _names(key, text) else None
            if person is not None:
                self._add(person, "a Slack mention of them")
        text = _SLACK_MENTION.sub(lambda m: f" {m[2] or ''} ", text)
        text = _SLACK_GROUP.sub(lambda m: f" {m[1] or ''} ", text)
        self.raw = _TEAMS_TAG.sub(" ", text)
        self.lowered = self.raw.casefold()
        self.words = _words(self.raw)

    def named(self) -> list[tuple[Person, str]]:
        for person in self.school.people:
            how = self._names(person)
            if how:
                self._add(person, how)
        self._roles()
        return list(self.found.values())

    def _add(self, person: Person, how: str) -> None:
        self.found.setdefault(person.email, (person, how))

    def _names(self, person: Person) -> str | None:
        if re.search(rf"(?<![\w.]){re.escape(person.email)}(?![\w])", self.lowered):
            return "their e-mail address"
        name = _words(person.name)
        if not name:
            return None
        if _find(self.words, name):
            return "their name"
        surname = _words(person.name.split()[-1])
        for at in _find(self.words, surname):
            before = self.words[at - 1] if at else ""
            if before in _TITLES or _first_or_initial(before, name[0]):
                return "a title, first name or initial with their surname"
            if not self.strict or self._capitalised(person.name.split()[-1]):
                return "their surname"
        if not self.strict and len(name) > 1 and name[0] in self.words:
            return "their first name"
        return None

    def _capitalised(self, surname: str) -> bool:
        return (
            re.search(rf"\b{re.escape(surname[:1].upper() + surname[1:])}\b", self.raw) is not None
        )

    def _roles(self) -> None:
        words, strict = self.words, self.strict
        text = " " + " ".join(words) + " "
        deputy = " deputy " in text or " ddsl " in text
        if " dsl " in text.replace(" deputy dsl ", " ") or (
            " designated safeguarding lead " in text.replace(" deputy designated", " ")
        ):
            self._role(Role.DSL, "the DSL")
        if deputy:
            self._role(Role.DEPUTY_DSL, "a deputy")
        if re.search(r" (headteacher|headmaster|headmistress|head teacher|principal) ", text) or (
            _bare_head(words, strict)
        ):
            self._role(Role.HEADTEACHER, "the head")
        chair = re.search(r" (chair of (the )?govern\w*|chairman|chairwoman|chairperson) ", text)
        if chair or " the chair " in text or (not strict and " chair " in text):
            chair_person = self.school.chair_of_governors
            if chair_person is not None:
                self._add(chair_person, "the chair")
        if not strict and re.search(r" governor", text):
            self._role(Role.GOVERNOR, "a governor")

    def _role(self, role: Role, how: str) -> None:
        for person in self.school.people_with(role):
            self._add(person, how)


def _bare_head(words: list[str], strict: bool) -> bool:
    """ "head" meaning the headteacher: not "deputy head", "head of year" or "hit his head"."""
    for at, word in enumerate(words):
        if word != "head":
            continue
        before = words[at - 1] if at else ""
        after = words[at + 1] if at + 1 < len(words) else ""
        if before in {"deputy", "assistant", "associate", "vice"} or after == "of":
            continue
        if not strict or before in {"the", "our", "school", "acting", "executive"}:
            return True
    return False
