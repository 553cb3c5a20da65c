"""What a cover request's outbox rows say (bot/cases/cover.py queues them): the ask with its
Accept button, the news for whoever asked, and the head's card when nobody accepted. Made from
what each row carries (`about`), when it is sent."""

from __future__ import annotations

from datetime import datetime

from bot.cases.cover import ASK, BUTTON, HEAD, NOBODY, TAKEN, name_of
from bot.delivery.messages import Card, Notice, Option, Outbound
from bot.school.config import SchoolConfig
from bot.school.cover_range import describe
from bot.words import strings
from storage.models import Outbox


def messages(row: Outbox, school: SchoolConfig) -> list[Outbound]:
    """What one of a cover request's outbox rows says, from what the row carries."""
    facts = row.about or {}
    name = name_of(school, str(facts.get("requester", "")))
    when = describe(
        datetime.fromisoformat(str(facts["start"])),
        datetime.fromisoformat(str(facts["end"])),
        school.tz,
    )
    taker = name_of(school, str(facts.get("accepted_by") or ""))
    minutes = facts.get("minutes", "")
    if row.kind == ASK:
        accept = Option(f"{BUTTON}{row.conversation_id}", strings.COVER_ACCEPT, "primary")
        return [
            Card(
                card_id=f"cover-{row.conversation_id}",
                title=strings.COVER_ASK_TITLE.format(name=name),
                tone="warning",
                text=strings.COVER_ASK_TEXT.format(name=name, when=when),
                actions=(accept,),
            )
        ]
    if row.kind == TAKEN:
        return [Notice(strings.COVER_TAKEN_FOR_YOU.format(taker=taker, when=when), "success")]
    if row.kind == HEAD:
        text = strings.COVER_HEAD_TEXT.format(name=name, when=when, minutes=minutes)
        title = strings.COVER_HEAD_TITLE.format(name=name)
        card_id = f"cover-{row.conversation_id}"
        return [Card(card_id=card_id, title=title, tone="warning", text=text)]
    if row.kind == NOBODY:
        return [Notice(strings.COVER_NONE_FOR_YOU.format(when=when, minutes=minutes), "warning")]
    return [Notice(strings.COVER_CANCELLED_FOR_YOU.format(name=name, when=when), "info")]
