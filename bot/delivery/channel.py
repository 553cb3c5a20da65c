"""The port every channel implements: what the app composes, the alerts use and the self-audit
asks. A new channel is one folder under bot/channels/ with one class that satisfies `Channel`;
bot/app.py lists it, and nothing else in the bot names it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.notifier import Notifier


@dataclass(frozen=True)
class Capabilities:
    """What a channel can do that the chat and the use cases must know of.

    `files_with_replies`: a card's files leave with the turn's replies (Slack uploads them), so
    an export is recorded when the turn runs. Elsewhere a file is made again when it is fetched
    (the web chat's link) or allowed (Teams), and its export recorded then, not twice.

    `stand_in`: the try-it-out channel (the local web chat), which asks the self-audit's
    questions only when no platform is configured (nobody would read them there otherwise).
    """

    files_with_replies: bool = False
    stand_in: bool = False


@dataclass(frozen=True)
class StaffContact:
    """Someone on the staff as a channel knows them: who the self-audit can ask there."""

    email: str
    name: str
    channel: str


class Channel(Protocol):
    """A chat platform, as the app composes it."""

    name: str
    capabilities: Capabilities

    @property
    def notifier(self) -> Notifier:
        """How alerts and invitations reach a person on this channel."""
        ...

    def add_routes(self, app: Any) -> None:
        """Mount the channel's HTTP routes on the one server (an aiohttp Application: the
        domain packages never import aiohttp, so it is not named here)."""
        ...

    async def start(self) -> None:
        """Once the server is up and the database migrated, on a process that serves chat
        (connect to the platform, say who it cannot reach)."""
        ...

    async def stop(self) -> None:
        """Before the process ends."""
        ...

    async def staff(self, session: AsyncSession) -> list[StaffContact]:
        """Everyone on the staff this channel can reach (whom the self-audit asks on it), read
        in the caller's transaction."""
        ...
