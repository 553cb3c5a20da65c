"""Sending a follow-up as a text message, through the school's SMS provider (`alert_sms:`)."""

from __future__ import annotations

from bot.channels.sms.provider import SmsProvider
from bot.delivery.messages import Card
from bot.delivery.notifier import Delivery, RetryLater
from bot.school.config import SchoolConfig
from bot.words import strings

# A text is short: the title (the reference, and whether it is urgent) and where to read it.
MAX_TEXT = 459  # three SMS fragments


class SmsNotifier:
    """The `sms` channel of the outbox: the follow-up rows of people with a text message rule."""

    channel = "sms"

    def __init__(
        self, *, school: SchoolConfig, provider: SmsProvider, bot_link: str | None = None
    ) -> None:
        self.school = school
        self.provider = provider
        self.bot_link = bot_link

    def phone_of(self, email: str) -> str:
        person = self.school.person(email)
        rule = person.alert_rule(self.channel) if person is not None else None
        if rule is None or not rule.to:
            raise RetryLater("no text message rule for this person in the school file")
        return rule.to

    async def deliver(self, delivery: Delivery) -> str | None:
        cards = [m for m in delivery.messages if isinstance(m, Card)]
        if len(cards) != 1:  # only a follow-up's card is ever texted
            raise RetryLater(f"a text carries one follow-up card, not {len(cards)}")
        card = cards[0]
        parts = [f"{card.title}.", card.text or ""]
        if self.bot_link:
            parts.append(strings.FOLLOW_UP_LINK.format(link=self.bot_link))
        text = " ".join(p for p in parts if p)[:MAX_TEXT]
        # The provider's reference is the outbox row: it names nothing of the case.
        reference = f"outbox-{delivery.row_id}" if delivery.row_id is not None else "outbox"
        return await self.provider.send(
            phone=self.phone_of(delivery.recipient_email), text=text, reference=reference
        )
