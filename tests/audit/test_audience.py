"""Whom the self-audit asks: every channel's staff, in the order the app lists the channels,
each person once, on the first channel that knows them (bot/audit/start.py)."""

from __future__ import annotations

from typing import Any

from bot.audit.campaigns import StaffMember
from bot.audit.use_cases import staff_audience
from bot.delivery.channel import StaffContact


class _Channel:
    def __init__(self, *staff: StaffContact) -> None:
        self._staff = list(staff)
        self.asked = 0

    async def staff(self, _session: Any) -> list[StaffContact]:
        self.asked += 1
        return self._staff


async def test_someone_on_two_channels_is_asked_once_on_the_first() -> None:
    teams = _Channel(
        StaffContact("A.Hartley@example.org", "Alex Hartley", "teams"),
        StaffContact("", "No e-mail", "teams"),
    )
    slack = _Channel(
        StaffContact("a.hartley@example.org ", "alex", "slack"),
        StaffContact("t.brannigan@example.org", "Tom Brannigan", "slack"),
    )
    audience = staff_audience([teams, slack])

    found = await audience(None)  # type: ignore[arg-type]

    assert found == [
        StaffMember("a.hartley@example.org", "Alex Hartley", "teams"),
        StaffMember("t.brannigan@example.org", "Tom Brannigan", "slack"),
    ]
    assert (teams.asked, slack.asked) == (1, 1)


async def test_the_channels_are_read_when_the_audit_starts_not_when_it_is_made() -> None:
    channels: list[_Channel] = []
    audience = staff_audience(channels)
    assert await audience(None) == []  # type: ignore[arg-type]
    channels.append(_Channel(StaffContact("t.brannigan@example.org", "Tom", "web")))
    assert await audience(None) == [StaffMember("t.brannigan@example.org", "Tom", "web")]  # type: ignore[arg-type]
