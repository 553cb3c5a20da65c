"""Which scheduler process runs the scheduled jobs: exactly one at a time.

On PostgreSQL every scheduler process campaigns for a session-level advisory lock on a
connection of its own. The holder leads: it starts the jobs. The others try again every
`retry_seconds`. PostgreSQL releases the lock the moment the leader's connection ends, so when
a leader is killed (SIGKILL, a lost machine) another process leads within `retry_seconds`; its
first alert sweep runs at once, so nothing that fell due in between is skipped. The leader
checks its connection on the same beat and steps down if it is gone, because then it can no
longer know that nobody else has taken over.

Jobs are also safe to run twice (the outbox and the audit queue are keyed so a second run finds
its rows there), so the lock keeps the work and the logs single rather than guarding
correctness alone.

On SQLite there is one process (`bot.single_process`), which leads from the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.locks import SCHEDULER_LOCK

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]


class Leadership:
    """Campaigns for the leader lock until `stop`; calls `on_lead` on winning it and
    `on_follow` on losing it (neither runs concurrently with the other)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        on_lead: Hook,
        on_follow: Hook,
        retry_seconds: float = 5.0,
        key: int = SCHEDULER_LOCK,
    ) -> None:
        self.engine = engine
        self.on_lead = on_lead
        self.on_follow = on_follow
        self.retry_seconds = retry_seconds
        self.key = key
        self.leading = False
        self._connection: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def shared(self) -> bool:
        """Whether other processes may share the database (PostgreSQL)."""
        return self.engine.dialect.name == "postgresql"

    def start(self) -> None:
        self._task = asyncio.create_task(self._campaign(), name="scheduler-leadership")

    async def stop(self) -> None:
        """Stop campaigning, stop the jobs if leading, and release the lock."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._step_down()

    async def _campaign(self) -> None:
        if not self.shared:
            await self._lead()
            return
        while True:
            try:
                if self.leading:
                    await self._still_connected()
                else:
                    await self._try_to_lead()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database went away: follow, and keep trying
                log.warning("scheduler leadership: %s; trying again", type(error).__name__)
                await self._step_down()
            await asyncio.sleep(self.retry_seconds)

    async def _try_to_lead(self) -> None:
        connection = await self.engine.connect()
        try:
            # Autocommit: the lock belongs to the session, and an idle open transaction would
            # hold back vacuum for as long as this process leads.
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            won = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            )
        except BaseException:
            await connection.close()
            raise
        if not won:
            await connection.close()
            return
        self._connection = connection
        await self._lead()

    async def _still_connected(self) -> None:
        assert self._connection is not None
        await self._connection.execute(text("SELECT 1"))

    async def _lead(self) -> None:
        self.leading = True
        log.info("this process now runs the scheduled jobs (scheduler leader)")
        await self.on_lead()

    async def _step_down(self) -> None:
        if self.leading:
            self.leading = False
            log.info("this process no longer runs the scheduled jobs")
            try:
                await self.on_follow()
            except Exception:
                log.exception("stopping the scheduled jobs failed")
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            # Closing returns the connection to the pool, and a pooled connection keeps its
            # session locks: unlock explicitly, or invalidate it if that is not possible.
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            await connection.close()
        except Exception:
            with contextlib.suppress(Exception):
                await connection.invalidate()
