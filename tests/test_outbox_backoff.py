"""The outbox's retry back-off for a row that keeps failing: capped, however many attempts (a
row to a channel no longer configured is retried every five minutes for days)."""

from __future__ import annotations

from datetime import timedelta

from bot.delivery.outbox import backoff


def test_backoff_stays_capped_after_days_of_failures():
    # Every five minutes for four days: 1,152 attempts.
    for attempts in (1, 2, 10, 100, 1_030, 1_152, 100_000):
        assert timedelta(seconds=4) <= backoff(attempts) <= timedelta(minutes=6), attempts
