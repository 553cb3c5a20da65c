"""A trust's schools send their self-audit invitations on beats of their own. Each school's
sender is called every SEND_EVERY_SECONDS and spends at most MAX_SECONDS of it, so schools on
the same beat all left the platform's shared rate unused for the same 2 s of every 10: the
September morning's invitations ran at 72% of Teams' rate (bench/README.md). On beats spread
over the interval, one school's pause is another's turn."""

from __future__ import annotations

from pathlib import Path

from bot.audit.scheduled import SEND_EVERY_SECONDS
from bot.settings import Settings
from tests.support.clock import FakeClock
from tests.support.trust import trust_jobs_running
from tests.web.test_trust_deployment import write_trust


async def test_each_school_of_a_trust_sends_on_a_beat_of_its_own(
    tmp_path: Path, clock: FakeClock
) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    settings = Settings(data_dir=tmp_path / "data", trust_config=write_trust(folder))
    async with trust_jobs_running(settings, clock) as (_bot, running):
        beats = []
        for school in running.running.values():
            assert school.jobs is not None and school.jobs._scheduler is not None
            job = school.jobs._scheduler.get_job("send_invitations")
            beats.append(job.next_run_time.timestamp() % SEND_EVERY_SECONDS)
    assert len(beats) == 2
    # The beats, as moments within the interval: apart by a quarter of it at least.
    apart = abs(beats[0] - beats[1])
    assert min(apart, SEND_EVERY_SECONDS - apart) >= SEND_EVERY_SECONDS / 4, beats
