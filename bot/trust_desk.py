"""One deployment, a trust's schools: which school each turn, click and download is for.

Every school keeps its own part (bot/school_parts.py: its router, its records, its alerts);
the channels are the trust's, one of each, and ask this desk which school a turn goes to:

- a click on a school's button goes to that school (its value says which, see
  bot/delivery/school_tags.py), whoever the person is talking to;
- someone on the staff of one school talks to that school (anyone in no school's file to the
  first, which answers them as it answers anyone it does not know);
- someone on the staff of several is asked which school, once per conversation, and talks to
  the school they chose until they type "switch school" (or press another school's button,
  and are told). What they wrote before they were asked is kept, encrypted, and given to the
  school they choose: nothing typed is lost to the question.

The choice is the trust's, not a school's (`school_choices`): it is read before any school's
record is, in a session of no school, with the turn's gate (the web chat's sign-in) checked in
the same transaction, as a school's turn checks it in its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.services import Services
from bot.chat.conversations import first_delivery
from bot.delivery.messages import Inbound, Notice, Option, Outbound, Question
from bot.delivery.school_tags import tag_messages, untag_value
from bot.school.trust import Trust
from bot.school_parts import SchoolParts
from bot.trust_lead_desk import TrustLeadDesk
from bot.words import strings
from storage.crypto import Cipher
from storage.models import SchoolChoice

CHOOSE: str = "__school:"  # the value of a "which school?" button, before its school's key
_TABLE = "school_choices"
_COLUMN = "pending_enc"


@dataclass
class TrustDesk:
    """The channels' `Schools` (bot/channels/services.py) for a deployment serving a trust."""

    trust: Trust
    parts: Mapping[str, SchoolParts]  # by key, in the trust file's order
    sessions: async_sessionmaker[AsyncSession]  # of no school: the trust-wide choices
    cipher: Cipher
    clock: Callable[[], datetime]

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        email = inbound.user.email
        trusts = TrustLeadDesk(self.trust, self.parts, self.clock)
        if trusts.serves(email):  # the trust's own people, in no school's file
            return await trusts.handle(inbound)
        tagged = untag_inbound(inbound)
        if tagged is not None:
            key, untagged = tagged
            if key not in self.parts:
                return [Notice(strings.SCHOOL_GONE, "error")]
            told = await self._clicked_in(inbound, key)
            return told + await self._in(key, untagged)
        keys = self.trust.schools_of(email)
        if len(keys) <= 1:
            return await self._in(keys[0] if keys else self._first, inbound)
        if inbound.value is not None and inbound.value.startswith(CHOOSE):
            return await self._chose(inbound, inbound.value.removeprefix(CHOOSE), keys)
        text = (inbound.text or "").strip().casefold()
        async with self.sessions() as session, session.begin():
            if inbound.gate is not None:
                await inbound.gate(session)
            row = await session.get(SchoolChoice, _key(inbound))
            current = self._key_of(row)
            if text in strings.SWITCH_SCHOOL_WORDS or current not in keys:
                if not await self._first_time(session, inbound):
                    return []  # a platform's retry of what is kept already, the question sent
                switching = text in strings.SWITCH_SCHOOL_WORDS
                kept = await self._ask(session, inbound, row, keep=not switching)
                return [self._which(keys), *kept]
            if row is not None and row.pending_enc is not None:
                row.pending_enc = None  # they wrote on: what a failed turn left is not answered
        assert current is not None
        return await self._in(current, inbound)

    async def of(
        self, *, channel: str, conversation_key: str, email: str, key: str | None = None
    ) -> Services:
        keys = self.trust.schools_of(email)
        if key is not None and key in keys:
            return self.parts[key].services
        if len(keys) > 1:
            async with self.sessions() as session:
                row = await session.get(SchoolChoice, (channel, conversation_key))
            current = self._key_of(row)
            if current in keys:
                return self.parts[current].services
        return self.parts[keys[0] if keys else self._first].services

    async def deliver_due(self, *, recipient: str) -> int:
        delivered = 0
        # The trust's lead, in no school's file, may be waiting for any school's final level.
        keys = self.trust.schools_of(recipient)
        if not keys and recipient.strip().lower() in self.trust.leads:
            keys = tuple(self.parts)
        for key in keys:
            delivered += await self.parts[key].services.deliver_due(recipient=recipient)
        return delivered

    async def trust_chart(self, email: str) -> bytes | None:
        return await TrustLeadDesk(self.trust, self.parts, self.clock).chart(email)

    @property
    def _first(self) -> str:
        return next(iter(self.parts))

    async def _in(self, key: str, inbound: Inbound) -> list[Outbound]:
        return tag_messages(key, await self.parts[key].services.handle(inbound))

    def _key_of(self, row: SchoolChoice | None) -> str | None:
        if row is None or row.school_id is None:
            return None
        for key, part in self.parts.items():
            if part.school_id == row.school_id:
                return key
        return None

    def _which(self, keys: tuple[str, ...]) -> Question:
        options = tuple(Option(f"{CHOOSE}{key}", self.parts[key].school.name) for key in keys)
        return Question(
            step_id=None,
            input="menu",
            text=strings.WHICH_SCHOOL,
            options=options,
            hint=strings.WHICH_SCHOOL_HINT,
        )

    async def _ask(
        self, session: AsyncSession, inbound: Inbound, row: SchoolChoice | None, *, keep: bool
    ) -> list[Outbound]:
        """The question is open: no school is chosen; what they wrote waits for the answer."""
        row = row or _new_choice(session, inbound)
        row.school_id = None
        row.chosen_at = self.clock()
        text = inbound.text if keep and inbound.text and inbound.text.strip() else None
        row.pending_enc = (
            None
            if text is None
            else self.cipher.encrypt_json(
                {"text": text}, table=_TABLE, row=_row(inbound), column=_COLUMN
            )
        )
        return [] if text is None else [Notice(strings.WHICH_SCHOOL_KEPT)]

    async def _chose(self, inbound: Inbound, key: str, keys: tuple[str, ...]) -> list[Outbound]:
        if key not in keys:
            return [Notice(strings.NOT_YOUR_SCHOOL, "error"), self._which(keys)]
        async with self.sessions() as session, session.begin():
            if inbound.gate is not None:
                await inbound.gate(session)
            row = await session.get(SchoolChoice, _key(inbound))
            again = row is not None and self._key_of(row) == key  # a double click, a retry
            pending = None
            if row is not None and row.pending_enc is not None and (row.school_id is None or again):
                pending = self.cipher.decrypt_json(
                    row.pending_enc, table=_TABLE, row=_row(inbound), column=_COLUMN
                )["text"]
            # What they wrote is kept until the school has answered it: a turn that fails, or
            # a click that comes again, answers it then (the school counts a click once).
            self._choose(row or _new_choice(session, inbound), key, keep=pending is not None)
        told: list[Outbound] = [] if again else [Notice(self._now_in(key))]
        if pending is not None:  # what they wrote before the question, answered now
            answered = await self._in(key, replace(inbound, value=None, text=pending))
            await self._answered(inbound)
            return told + answered
        opened = replace(inbound, value=None, text=None, session_start=True)
        return told + await self._in(key, opened)

    async def _answered(self, inbound: Inbound) -> None:
        """What they wrote before the question has been answered by their school: forgotten."""
        async with self.sessions() as session, session.begin():
            row = await session.get(SchoolChoice, _key(inbound))
            if row is not None and row.school_id is not None:
                row.pending_enc = None

    async def _first_time(self, session: AsyncSession, inbound: Inbound) -> bool:
        """Whether this message is new (a platform sends one again when it heard no answer
        in time): kept with what the message did, in the same transaction."""
        if inbound.message_id is None:
            return True
        return await first_delivery(
            session, channel=inbound.channel, message_id=inbound.message_id, now=self.clock()
        )

    async def _clicked_in(self, inbound: Inbound, key: str) -> list[Outbound]:
        """A button of school `key` was pressed by someone of several schools who was talking
        to another: they talk to `key`'s now (its answer may ask them something), and are told."""
        keys = self.trust.schools_of(inbound.user.email)
        if len(keys) <= 1 or key not in keys:
            return []
        async with self.sessions() as session, session.begin():
            if inbound.gate is not None:
                await inbound.gate(session)
            row = await session.get(SchoolChoice, _key(inbound))
            if self._key_of(row) == key:
                return []
            if row is not None and row.school_id is None and row.pending_enc is not None:
                return []  # the question stays open: what they wrote waits for their answer
            self._choose(row or _new_choice(session, inbound), key, keep=False)
        return [Notice(self._now_in(key))]

    def _choose(self, row: SchoolChoice, key: str, *, keep: bool) -> None:
        """The conversation is with school `key` from now on; what waited for the answer is
        kept (`keep`) until the school has answered it, else forgotten."""
        row.school_id = self.parts[key].school_id
        if not keep:
            row.pending_enc = None
        row.chosen_at = self.clock()

    def _now_in(self, key: str) -> str:
        return strings.NOW_IN_SCHOOL.format(school=self.parts[key].school.name)


def untag_inbound(inbound: Inbound) -> tuple[str, Inbound] | None:
    """The school a click names, and the click as that school sent its buttons: its button's
    value, or the boxes ticked (each says its school). None for a click of no one school (typed
    text, an untagged value, boxes of two schools: the school talked to refuses what it did not
    send)."""
    keys: set[str] = set()
    value, values = inbound.value, inbound.values
    if value is not None and (found := untag_value(value)) is not None:
        keys.add(found[0])
        value = found[1]
    if values:
        each = [untag_value(v) for v in values]
        if all(t is not None for t in each):
            keys.update(t[0] for t in each if t is not None)
            values = tuple(t[1] for t in each if t is not None)
    if len(keys) != 1:
        return None
    return keys.pop(), replace(inbound, value=value, values=values)


def _new_choice(session: AsyncSession, inbound: Inbound) -> SchoolChoice:
    row = SchoolChoice(channel=inbound.channel, conversation_key=inbound.conversation_key)
    session.add(row)
    return row


def _key(inbound: Inbound) -> tuple[str, str]:
    return (inbound.channel, inbound.conversation_key)


def _row(inbound: Inbound) -> str:
    return f"{inbound.channel}:{inbound.conversation_key}"
