"""Channel addresses: who a platform id is (the e-mail the platform gave for them) and how to
message them first. Stored, not cached in memory, so replicas and restarts agree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelAddress

# Channels that can message a person only once they have installed the app (Teams' proactive
# messages need a conversation reference); Slack and the web chat reach anyone by e-mail.
ADDRESSED_CHANNELS = frozenset({"teams"})

# How long a platform's answer "this id is this e-mail" is trusted before it is asked again:
# long enough that a busy morning costs no lookups, short enough that a changed address or a
# leaver is noticed the next day.
IDENTITY_FRESH_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class Address:
    platform_user_id: str
    email: str | None
    display_name: str
    address: Mapping[str, Any]
    reachable: bool
    looked_up_at: datetime | None
    unreachable_reason: str | None = None

    def identity_fresh(self, now: datetime) -> bool:
        return (
            self.email is not None
            and self.looked_up_at is not None
            and now - self.looked_up_at < IDENTITY_FRESH_FOR
        )


def _address(row: ChannelAddress) -> Address:
    return Address(
        platform_user_id=row.platform_user_id,
        email=row.email,
        display_name=row.display_name,
        address=dict(row.address or {}),
        reachable=row.reachable,
        looked_up_at=row.looked_up_at,
        unreachable_reason=row.unreachable_reason,
    )


async def find(session: AsyncSession, channel: str, platform_user_id: str) -> Address | None:
    row = await _row(session, channel, platform_user_id)
    return _address(row) if row is not None else None


async def remember(
    session: AsyncSession,
    *,
    channel: str,
    platform_user_id: str,
    address: Mapping[str, Any],
    now: datetime,
    display_name: str | None = None,
    email: str | None = None,
    reachable: bool = True,
    unreachable_reason: str | None = None,
) -> bool:
    """Record (or refresh) how to reach this person; `email` when the platform just told us.
    True when this makes reachable again someone who was not (they wrote again, reinstalled).

    Two replicas handling one person's first two messages at once may both insert: the unique
    key refuses the second, and the caller runs this again, which then updates."""
    row = await _row(session, channel, platform_user_id)
    if row is None:
        row = ChannelAddress(channel=channel, platform_user_id=platform_user_id, display_name="")
        session.add(row)
    came_back = reachable and row.reachable is False
    row.address = dict(address)
    row.reachable = reachable
    row.unreachable_reason = None if reachable else unreachable_reason
    row.unreachable_at = None if reachable else now
    row.updated_at = now
    if display_name:
        row.display_name = display_name[:200]
    if email is not None:
        row.email = email.strip().lower()
        row.looked_up_at = now
    await session.flush()
    return came_back


async def mark_unreachable(
    session: AsyncSession, *, channel: str, platform_user_id: str, reason: str, now: datetime
) -> None:
    """The platform refused to deliver to this address for good (Teams 403/404: the app was
    removed or blocked); nothing is sent there until they write again."""
    row = await _row(session, channel, platform_user_id)
    if row is None:
        return
    row.reachable = False
    row.unreachable_reason = reason[:100]
    row.unreachable_at = now
    await session.flush()


async def why_unreachable(
    session: AsyncSession, channel: str, emails: Iterable[str]
) -> dict[str, str]:
    """For those of `emails` with no reachable address on `channel`: why, as far as known (the
    platform's refusal, or that they never installed the app, given as an empty string)."""
    missing = await unreachable(session, channel, emails)
    rows = await session.scalars(
        select(ChannelAddress)
        .where(ChannelAddress.channel == channel, ChannelAddress.email.in_(missing))
        .order_by(ChannelAddress.updated_at)
    )
    reasons = dict.fromkeys(missing, "")
    for row in rows:
        if row.email is not None and row.unreachable_reason:
            reasons[row.email] = row.unreachable_reason
    return reasons


async def reachable_by_email(session: AsyncSession, channel: str, email: str) -> list[Address]:
    """Every reachable address of this person on `channel`, most recently refreshed first (one
    person may use Teams on two tenants' guest accounts; the newest is the likeliest)."""
    rows = await session.scalars(
        select(ChannelAddress)
        .where(
            ChannelAddress.channel == channel,
            ChannelAddress.email == email.strip().lower(),
            ChannelAddress.reachable.is_(True),
        )
        .order_by(ChannelAddress.updated_at.desc(), ChannelAddress.id.desc())
    )
    return [_address(row) for row in rows]


async def unreachable(session: AsyncSession, channel: str, emails: Iterable[str]) -> list[str]:
    """Those of `emails` with no reachable address on `channel`, in the order given."""
    wanted = [e.strip().lower() for e in emails]
    found = set(
        await session.scalars(
            select(ChannelAddress.email).where(
                ChannelAddress.channel == channel,
                ChannelAddress.email.in_(wanted),
                ChannelAddress.reachable.is_(True),
            )
        )
    )
    return [email for email in wanted if email not in found]


async def _row(session: AsyncSession, channel: str, platform_user_id: str) -> ChannelAddress | None:
    return await session.scalar(
        select(ChannelAddress).where(
            ChannelAddress.channel == channel,
            ChannelAddress.platform_user_id == platform_user_id,
        )
    )


async def everyone_reachable(session: AsyncSession, channel: str) -> list[Address]:
    """Everyone `channel` can message first, with a known e-mail (the Teams audience)."""
    rows = await session.scalars(
        select(ChannelAddress)
        .where(
            ChannelAddress.channel == channel,
            ChannelAddress.reachable.is_(True),
            ChannelAddress.email.is_not(None),
        )
        .order_by(ChannelAddress.id)
    )
    return [_address(row) for row in rows]
