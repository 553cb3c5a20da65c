"""A clock that runs faster than the real one, for the waits a platform's rules impose.

The Teams sender paces each chat under Teams' documented limits (8 messages in 2 s, ...) and
waits out Retry-After and its back-off in real seconds. A test world runs that same sender, with
the same limits, on this clock: every wait is SPEED times shorter, the order of what is sent and
the pacing logic are unchanged. The pacing itself, at real speed, is tested on a simulated clock
(tests/test_pacing.py, tests/teams/test_sending.py).
"""

from __future__ import annotations

import asyncio
import time

SPEED = 50.0


def fast_now() -> float:
    return time.monotonic() * SPEED


async def fast_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds / SPEED)
