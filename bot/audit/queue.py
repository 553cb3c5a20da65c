"""The self-audit's message queue (`audit_messages`): queueing an invitation or reminder once,
which rows are due, retiring what can no longer be useful, and the pace of each channel. The
sending itself is bot/audit/invitations.py."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.pacing import Limit
from storage.models import AuditCampaign, AuditMessage, AuditParticipant

log = logging.getLogger(__name__)

KINDS = frozenset({"invite", "reminder"})

# The pace of invitations and reminders on each channel, in messages (one per person). Each is
# a "Limit(count, seconds)": at most `count` starts in any `seconds`-long window.
DEFAULT_LIMITS: Mapping[str, tuple[Limit, ...]] = {
    # Slack (docs.slack.dev/apis/web-api/rate-limits): limits are per method, per workspace, per
    # app; Tier 3 is "50+ per minute", sporadic bursts welcome. A message to someone new costs
    # users.lookupByEmail (Tier 3, api.slack.com/methods/users.lookupByEmail; SlackDirectory
    # caches it for an hour), conversations.open (Tier 3, api.slack.com/methods/
    # conversations.open) and chat.postMessage (special tier: "generally one message per second
    # per channel, while also maintaining a workspace-wide limit"; each invitation is its own DM
    # channel, and Slack's render_turn packs a turn into one post).
    # The two Tier 3 methods bind: 50 invitations a minute, the documented floor. Alerts use the
    # same two methods; they are few, the sender stops for a due alert, and slack-sdk's retry
    # handler waits out a 429's Retry-After for them.
    "slack": (Limit(50, 60.0),),
    # Microsoft Teams (learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit): per
    # bot per conversation 7 operations in 1 s, 8 in 2 s, 60 in 30 s, 1,800 in an hour, and per
    # app per tenant 50 requests a second. TeamsNotifier's Sender already keeps to both (its
    # Pacers are shared with replies and alerts). Every invitation is a different conversation,
    # so the tenant limit binds. An invitation is one proactive send_activity when it is notices
    # and questions (Teams' render_turn puts them in one card; a case Card would be a second):
    # 25 a second takes half the tenant's 50 and leaves the other half for people's turns and
    # alerts, so they never queue behind a campaign in the Sender's tenant pacer.
    "teams": (Limit(25, 1.0),),
    # The web chat pushes to open tabs of this server: no platform limit. The pace only keeps a
    # campaign from monopolising the event loop and the database.
    "web": (Limit(1000, 1.0),),
}
# A channel with no entry above (a new platform, a test channel) gets the slowest known pace.
UNKNOWN_CHANNEL_LIMITS: tuple[Limit, ...] = (Limit(50, 60.0),)


async def enqueue_message(
    session: AsyncSession, *, participant: AuditParticipant, kind: str, n: int, now: datetime
) -> bool:
    """Queue one invitation (kind "invite", n 0) or reminder ("reminder", n 1, 2 ...) for one
    participant, due now; returns False when it was queued before (the unique key)."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit message kind {kind!r}")
    if participant.id is None:
        raise ValueError("the participant must be flushed (have an id) before queueing")
    values = _message(
        participant.id, participant.campaign_id, participant.channel, participant.email, now
    )
    statement = _queueing(session, {**values, "kind": kind, "n": n})
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def enqueue_invitations(
    session: AsyncSession, participants: Sequence[tuple[int, int, str, str]], *, now: datetime
) -> None:
    """Queue the invitation of each participant just added, (id, campaign id, channel, email),
    in one statement: a campaign's start asks a whole school at once."""
    if participants:
        rows = [_message(*participant, now) for participant in participants]
        await session.execute(_queueing(session), rows)  # executemany


def _message(
    participant: int, campaign: int, channel: str, email: str, now: datetime
) -> dict[str, Any]:
    return {
        "participant_id": participant,
        "campaign_id": campaign,
        "channel": channel,
        "recipient_email": email,
        "kind": "invite",
        "n": 0,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _queueing(session: AsyncSession, values: dict[str, Any] | None = None) -> Any:
    """The INSERT of a queued message that a message already queued leaves alone."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(AuditMessage) if values is None else insert(AuditMessage).values(values)
    return statement.on_conflict_do_nothing(index_elements=["participant_id", "kind", "n"])


def due(now: datetime, channel: str) -> Select[AuditMessage]:
    """Pending rows of one channel whose time has come, in an open campaign; fresh ones first."""
    return (
        select(AuditMessage)
        .join(AuditCampaign, AuditCampaign.id == AuditMessage.campaign_id)
        .where(
            AuditMessage.status == "pending",
            AuditMessage.next_attempt_at <= now,
            AuditMessage.channel == channel,
            AuditCampaign.closed_at.is_(None),
            AuditCampaign.closes_at > now,
        )
        .order_by(AuditMessage.attempts, AuditMessage.next_attempt_at, AuditMessage.id)
    )


async def due_channels(session: AsyncSession, *, now: datetime) -> list[str]:
    channels = await session.scalars(
        select(AuditMessage.channel)
        .where(AuditMessage.status == "pending", AuditMessage.next_attempt_at <= now)
        .distinct()
        .order_by(AuditMessage.channel)
    )
    return list(channels)


async def retire(session: AsyncSession, *, now: datetime) -> None:
    """Give up what can no longer be useful: anything pending in a closed campaign (closed, or
    past its closing time and not yet marked so by the housekeeping job), and anything for
    someone who has already finished the audit."""
    closed = select(AuditCampaign.id).where(
        or_(AuditCampaign.closed_at.is_not(None), AuditCampaign.closes_at <= now)
    )
    finished = select(AuditParticipant.id).where(AuditParticipant.status == "finished")
    for reason, condition in (
        ("campaign closed", AuditMessage.campaign_id.in_(closed)),
        ("already finished", AuditMessage.participant_id.in_(finished)),
    ):
        result = await session.execute(
            update(AuditMessage)
            .where(AuditMessage.status == "pending", condition)
            .values(status="dead", last_error=reason)
            .execution_options(synchronize_session=False)
        )
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            log.info("audit messages: %d no longer sent (%s)", count, reason)


async def mark_participant(session: AsyncSession, row: AuditMessage, *, now: datetime) -> None:
    """In the transaction that marks the message sent: the invitation's time, or the count of
    reminders (as the highest reminder sent, so recording one twice cannot count it twice)."""
    participant = await session.get(AuditParticipant, row.participant_id)
    if participant is None:
        return
    if row.kind == "invite":
        participant.invited_at = participant.invited_at or now
    else:
        participant.reminders_sent = max(participant.reminders_sent, row.n)
    participant.updated_at = now
