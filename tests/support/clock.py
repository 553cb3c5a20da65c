"""A clock the tests move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 24, 10, 30, tzinfo=UTC)  # a Tuesday in term

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RealTimeClock(FakeClock):
    """The real time, moved on by hand: for tests beside a real outside service (an OpenID
    provider signs with the real time), where a clock stopped at the test's start would drift
    from it as the machine is slow, but the test still needs to jump ahead."""

    def __init__(self) -> None:
        super().__init__()
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)
