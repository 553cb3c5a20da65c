"""What runs for each school of a process (its outbox dispatcher; its scheduled jobs, if the
process may lead them), and a trust's deployment reloading its files without a restart.

A reload (SIGHUP, or `python -m bot reload`) reads and checks the trust file and every school
file again, and builds every school's part from them, before anything changes: a file with a
problem is refused whole, the problem said (in the log, and to `python -m bot reload`), and the
deployment goes on as it was. Once all is built, the new schools' rows are made and every
school's people mirrored, then the parts are swapped in one step: each school's dispatcher and
scheduler leadership stops (a delivery under way finishes first) and starts again with its new
part. A turn under way finishes with the part it began with; nothing queued is lost, as the
outbox and the schedules live in the database.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace

from bot.app import Bot, TrustNotServed, checked_trust, prepare_school, trust_parts
from bot.school.config import SchoolConfig, SchoolConfigError
from bot.school.trust import TrustConfigError, trust_directory
from bot.school_parts import SchoolParts
from dialogs.loader import FlowError
from scheduler.leader import Leadership
from scheduler.setup import TRUST_START_SPREAD_SECONDS, ScheduledJobs, send_beat
from storage.locks import scheduler_lock
from storage.scope import school_of_sessions

log = logging.getLogger(__name__)


@dataclass
class _Running:
    delivering: asyncio.Task[None]
    part: SchoolParts
    jobs: ScheduledJobs | None = None
    leadership: Leadership | None = None


@dataclass
class RunningSchools:
    """Each school's dispatcher, and its scheduled jobs when `schedule` (the process's role
    runs them), under a leader among the processes: each school's own for a deployment of one
    school (as every release before trusts did), one for every school of a trust's deployment.

    A trust's schools have one leader because a leader holds a database connection for as long
    as it leads (scheduler/leader.py): fifty schools' leaders took fifty connections of the
    process's pool, and its turns and jobs then waited for a connection (the processes
    benchmark, bench/trust_processes.py, found the scheduler never ready). One leader also keeps
    the schools' campaigns on the one pacer of the process that leads them."""

    bot: Bot
    schedule: bool
    running: dict[str, _Running] = field(default_factory=dict)
    # A trust's: leads every school's jobs at once (None until the first school starts).
    together: Leadership | None = None
    _starting: set[asyncio.Task[None]] = field(default_factory=set)
    _started: int = 0  # schools started so far: the next one's beat (scheduler.setup.send_beat)

    @property
    def leading(self) -> bool:
        return any(r.jobs is not None and r.jobs.running for r in self.running.values())

    @property
    def _trust(self) -> bool:
        return self.bot.desk is not None

    def start(self, key: str, part: SchoolParts) -> None:
        task = asyncio.create_task(part.dispatcher.run(), name=f"outbox-{key}")
        running = _Running(task, part)
        self.running[key] = running
        if not self.schedule:
            return
        settings = self.bot.settings
        running.jobs = ScheduledJobs(
            part.jobs,
            timezone=part.school.timezone,
            audit=part.audit,
            sweep_seconds=settings.alert_sweep_seconds,
            # A trust's schools: each starts its self-audit at a moment of its own, and sends
            # its invitations on a beat of its own.
            start_spread=TRUST_START_SPREAD_SECONDS if len(self.bot.parts) > 1 else None,
            send_beat=send_beat(self._started) if self._trust else 0.0,
        )
        self._started += 1
        if self._trust:
            self._lead_together(running.jobs)
            return
        school_id = part.school_id
        assert school_id is not None  # prepare_school found or made the school's row
        running.leadership = Leadership(
            self.bot.engine,
            on_lead=running.jobs.start,
            on_follow=running.jobs.stop,
            retry_seconds=settings.leader_retry_seconds,
            key=scheduler_lock(school_id),
        )
        running.leadership.start()  # leading, its first sweep sends whatever a crash left

    def _lead_together(self, jobs: ScheduledJobs) -> None:
        """A trust's school's jobs, under the trust's one leader: started now if this process
        leads already, else when it comes to lead."""
        if self.together is None:
            book = self.bot.address_book
            trust_id = school_of_sessions(book) if book is not None else None
            assert trust_id is not None  # prepare_storage gave the trust's book its row
            self.together = Leadership(
                self.bot.engine,
                on_lead=self._start_every_school,
                on_follow=self._stop_every_school,
                retry_seconds=self.bot.settings.leader_retry_seconds,
                key=scheduler_lock(trust_id),
            )
            self.together.start()
        elif self.together.leading:  # a school added while this process leads the trust's
            task = asyncio.create_task(jobs.start(), name="jobs-of-a-school-added")
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    async def _start_every_school(self) -> None:
        for running in self.running.values():
            if running.jobs is not None and not running.jobs.running:
                await running.jobs.start()

    async def _stop_every_school(self) -> None:
        for running in self.running.values():
            if running.jobs is not None:
                await running.jobs.stop()

    async def stop(self, key: str) -> None:
        running = self.running.pop(key)
        if running.leadership is not None:
            await running.leadership.stop()  # stops the jobs if it led
        if running.jobs is not None:  # and if they were started otherwise: none left running
            await running.jobs.stop()
        await running.part.dispatcher.stop(running.delivering)

    async def stop_all(self) -> None:
        if self.together is not None:  # a trust's leader: stops every school's jobs if it led
            await self.together.stop()
            self.together = None
        for key in list(self.running):
            await self.stop(key)


class Reloader:
    """A trust's deployment made again from its files, while it runs."""

    def __init__(self, bot: Bot, running: RunningSchools) -> None:
        self.bot = bot
        self.running = running
        self._lock = asyncio.Lock()  # one reload at a time

    async def reload(self) -> str:
        """Reload; returns what happened, one line (also logged)."""
        async with self._lock:
            bot = self.bot
            if bot.desk is None or bot.web_chat is None:
                return self._said(
                    "not reloaded: this deployment serves one school (no TRUST_CONFIG)"
                )
            try:
                trust = checked_trust(bot.settings)
                ids = {k: i for k, p in bot.parts.items() if (i := p.school_id) is not None}
                parts = trust_parts(
                    bot.settings,
                    trust,
                    engine=bot.engine,
                    cipher=bot.cipher,
                    clock=bot.router.clock,
                    ids=ids,
                )
            except (TrustConfigError, TrustNotServed, SchoolConfigError, FlowError) as error:
                return self._said(f"not reloaded, nothing changed: {error}", error=True)
            book = None if bot.address_book is None else school_of_sessions(bot.address_book)
            for key, part in parts.items():
                part.connect(bot.settings, bot.channels, key=key)
                await prepare_school(
                    bot.engine, part, key, clock=bot.router.clock, address_book=book
                )
            before = set(bot.parts)
            await self.running.stop_all()
            self._swap(trust_directory(trust), parts)
            bot.desk.trust = trust
            for key, part in parts.items():
                self.running.start(key, part)
            added = sorted(set(parts) - before)
            removed = sorted(before - set(parts))
            return self._said(
                f"reloaded: {len(parts)} school(s)"
                + (f"; added {', '.join(added)}" if added else "")
                + (f"; no longer served {', '.join(removed)}" if removed else "")
            )

    def _swap(self, directory: SchoolConfig, parts: dict[str, SchoolParts]) -> None:
        bot = self.bot
        assert bot.desk is not None
        assert bot.web_chat is not None
        first = next(iter(parts.values()))
        bot.parts = parts
        bot.desk.parts = parts
        bot.school, bot.router, bot.jobs = first.school, first.router, first.jobs
        bot.dispatcher, bot.audit = first.dispatcher, first.audit
        bot.web_chat.services = replace(first.services, school=directory)
        bot.web_chat.reconfigure(directory)
        for platform in (bot.slack, bot.teams):  # they ask the desk; they know the trust's people
            if platform is not None and bot.address_book is not None:
                platform.services = replace(
                    first.services, school=directory, sessions=bot.address_book
                )
                platform.school = directory

    @staticmethod
    def _said(line: str, *, error: bool = False) -> str:
        log.log(logging.ERROR if error else logging.INFO, "%s", line)
        return line
