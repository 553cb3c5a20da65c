"""Which question a person's draft is at, read from their stored dialog state (any channel)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Conversation

SUMMARY = "summary"


async def current_step(bot: Any, channel: str, email: str) -> str | None:
    """The step their draft is at ("summary" at the summary), or None outside a flow."""
    async with bot.router.sessions() as session:
        row = await session.scalar(
            select(Conversation).where(
                Conversation.channel == channel, Conversation.user_email == email
            )
        )
    if row is None or row.state_enc is None:
        return None
    dialog = bot.cipher.open(row, "state_enc").get("dialog")
    if not dialog:
        return None
    step = dialog.get("step")
    return SUMMARY if step is None else str(step)
