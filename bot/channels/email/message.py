"""The alert e-mail: the follow-up card as plain text, with headers that carry no more than it."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from bot.delivery.messages import Card
from bot.words import strings


def alert_email(card: Card, *, to: str, sender: str, bot_link: str | None) -> EmailMessage:
    """One e-mail for one follow-up card. The subject is the card's title (a reference and
    whether it is urgent), the body its fields and where to read the case; the card is built to
    hold nothing of the report, and nothing else is added here but the bot's address."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = card.title
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    # RFC 3834: sent by a program, so out-of-office replies are not sent back to it.
    message["Auto-Submitted"] = "auto-generated"
    if card.tone == "urgent":
        message["Importance"] = "high"
    lines = [card.title, ""]
    lines += [f"{field.label}: {field.value}" for field in card.fields]
    if card.text:
        lines += ["", card.text]
    if bot_link:
        lines.append(strings.FOLLOW_UP_LINK.format(link=bot_link))
    lines += ["", strings.FOLLOW_UP_EMAIL_NOTE]
    message.set_content("\n".join(lines) + "\n")
    return message
