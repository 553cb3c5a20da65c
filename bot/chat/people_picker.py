"""The people a person step can pick: type-ahead matches from the school file, for every channel.

A channel asks as the reporter types (the web chat's search frame, Slack's block_suggestion,
Teams' application/search invoke). Names are only ever given to someone whose conversation is
at that very person step: nobody can use the search to list the school's staff otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.chat.conversations import ConversationDoc
from bot.delivery.messages import Option
from bot.school.config import Person, SchoolConfig
from dialogs.answers import PERSON_PREFIX
from dialogs.engine import Dialog
from storage.crypto import Cipher
from storage.models import Conversation

MAX_RESULTS = 10
MAX_QUERY_CHARS = 60  # a longer "name" is not a name: no search, no work
_WORD = re.compile(r"[^\W_]+")


def match_people(people: Iterable[Person], query: str, *, limit: int = MAX_RESULTS) -> list[Person]:
    """Everyone each of whose typed words starts a word of their name (any case), by name."""
    typed = _words(query) if len(query) <= MAX_QUERY_CHARS else []
    if not typed:
        return []
    found = [p for p in people if all(_starts_a_word(w, _words(p.name)) for w in typed)]
    return sorted(found, key=lambda p: (p.name.casefold(), p.email))[:limit]


def names_in(school: SchoolConfig) -> Callable[[str], str | None]:
    """E-mail -> name in the school file: the dialogs' `people`, which checks a pick."""

    def name(email: str) -> str | None:
        person = school.person(email)
        return None if person is None else person.name

    return name


def person_option(person: Person) -> Option:
    """A match as a choice: the value a person step takes, the label a reporter reads."""
    return Option(f"{PERSON_PREFIX}{person.email}", person.name)


class PeoplePicker:
    """Answers a type-ahead for one conversation, only while it is at a person step."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        school: SchoolConfig,
        dialogs: dict[str, Dialog],
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.school = school
        self.dialogs = dialogs

    async def choices(
        self, *, channel: str, conversation_key: str, email: str, step_id: str | None, query: str
    ) -> list[Option] | None:
        """Up to MAX_RESULTS matches; None if this conversation is not at person step `step_id`.

        `step_id` None accepts whichever person step is current (a platform that cannot carry
        it); otherwise a search for an old question gets nothing.
        """
        current = await self.current_person_step(
            channel=channel, conversation_key=conversation_key, email=email
        )
        if current is None or (step_id is not None and step_id != current):
            return None
        return [person_option(p) for p in match_people(self.school.people, query)]

    async def current_person_step(
        self, *, channel: str, conversation_key: str, email: str
    ) -> str | None:
        """The id of the person step this conversation is at, if it is at one."""
        async with self.sessions() as session:
            row = await session.scalar(
                select(Conversation).where(
                    Conversation.channel == channel,
                    Conversation.conversation_key == conversation_key,
                )
            )
        if row is None or row.state_enc is None or row.user_email.lower() != email.lower():
            return None
        state = ConversationDoc.from_json(self.cipher.open(row, "state_enc")).dialog
        if not state or state.get("confirming_cancel") or not state.get("step"):
            return None
        dialog = self.dialogs.get(str(state.get("flow_id")))
        step_id = str(state["step"])
        if dialog is None or not dialog.spec.has_step(step_id):
            return None
        return step_id if dialog.spec.step(step_id).kind == "person" else None


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _starts_a_word(typed: str, words: list[str]) -> bool:
    return any(word.startswith(typed) for word in words)
