"""The server: one aiohttp application for the bot's role, with its routes, its lifecycle (the
storage made ready, the dispatcher, the channels, the provider's e-mail receiver, the
scheduler's leadership) and how each connection is served. bot/app.py composes what it runs."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from aiohttp import web

from bot.app import Bot, prepare_storage
from bot.channels.monitoring.routes import add_monitoring_routes, add_trust_monitoring_routes
from bot.channels.monitoring_email.receiver import AlertSink, MonitoringEmailReceiver
from bot.health import add_health_routes
from bot.logs import request_ids
from bot.metrics import BotMetrics, TrustMetrics
from bot.monitoring.use_cases import Webhooks
from bot.reload import Reloader, RunningSchools
from bot.settings import Settings

log = logging.getLogger(__name__)
RELOADER = web.AppKey("reloader", Reloader)


async def start_monitoring_email(bot: Bot, sink: AlertSink) -> MonitoringEmailReceiver | None:
    """Receive the monitoring provider's alert e-mails when the school file says where
    (`monitoring: email:`), handing each alert read (or unreadable) to `sink`, the use case
    that files it; the relay is told 250 only once `sink` returned. None when not configured.
    The caller stops the receiver it got (`await receiver.stop()`)."""
    settings = bot.school.monitoring.email
    if settings is None:
        return None
    receiver = MonitoringEmailReceiver(
        settings, sink=sink, tz=bot.school.tz, clock=bot.router.clock
    )
    await receiver.start()
    return receiver


def served_metrics(bot: Bot, running: RunningSchools) -> BotMetrics | TrustMetrics | None:
    """What /metrics shows: the one school's, unlabelled; in a trust's deployment every
    school's, each series labelled with the school's key (the parts are read at each scrape, so
    a reload's schools are there), and whether this process leads each school's jobs."""
    if bot.desk is None:
        if bot.metrics is not None and running.schedule:
            bot.metrics.report_leadership(lambda: running.leading)
        return bot.metrics
    metrics = TrustMetrics(lambda: {key: part.metrics for key, part in bot.parts.items()})
    if running.schedule:
        metrics.report_leadership(lambda key: _leads(running, key))
    return metrics


def _leads(running: RunningSchools, key: str) -> bool:
    school = running.running.get(key)
    return school is not None and school.jobs is not None and school.jobs.running


def _webhooks(bot: Bot) -> dict[str, Webhooks]:
    return {key: part.monitoring for key, part in bot.parts.items() if part.monitoring is not None}


def event_loop() -> asyncio.AbstractEventLoop:
    """uvloop (libuv's event loop) where it is installed: a turn costs less CPU on it (issue 21;
    bench/README.md), and nothing else changes. asyncio's own loop otherwise."""
    try:
        import uvloop
    except ImportError:  # not installed (Windows): asyncio's loop does the same, a bit slower
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def create_app(
    bot: Bot,
    *,
    run_scheduler: bool = True,
    settle_memory: bool = False,
    reload_on_hangup: bool = False,
) -> web.Application:
    """The server for the bot's role (settings.role): `web` serves the chat channels, with
    no scheduled jobs; `scheduler` runs the scheduled jobs if it leads (see scheduler.leader),
    serving only health and metrics; `all` does both. Every role delivers the outbox rows it
    queues at once; `run_scheduler=False` (tests) leaves the jobs off whatever the role.
    `settle_memory`: the process serves only this bot (`python -m bot run`), see
    `settle_startup_memory`; and so does `reload_on_hangup`: a trust's deployment reloads its
    files on SIGHUP (bot/reload.py). `app[RELOADER]` reloads them too."""
    role = bot.settings.role
    serves_chat = role in {"all", "web"}
    app = web.Application(
        client_max_size=256 * 1024,
        middlewares=[request_ids],
        handler_args=_handler_args(bot.settings),
    )
    add_health_routes(app, bot.engine)
    if serves_chat:
        for channel in bot.channels:
            channel.add_routes(app)
        if bot.monitoring is not None:
            add_monitoring_routes(app, bot.monitoring)
        if bot.desk is not None:  # a trust's: each school's providers at the school's path
            add_trust_monitoring_routes(app, lambda: _webhooks(bot))
    # Each school's dispatcher, and its scheduled jobs with a leader of its own.
    running = RunningSchools(bot, schedule=run_scheduler and role in {"all", "scheduler"})
    app[RELOADER] = Reloader(bot, running)
    if (metrics := served_metrics(bot, running)) is not None:
        metrics.add_routes(app)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await prepare_storage(bot)
        for key, part in bot.parts.items():
            running.start(key, part)
        if serves_chat:
            for channel in bot.channels:
                await channel.start()
        receiver = None
        if serves_chat and bot.email_alerts is not None:  # after the channels: it alerts them
            receiver = await start_monitoring_email(bot, bot.email_alerts.file)
        if reload_on_hangup and bot.desk is not None:
            reloading = app[RELOADER].reload
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGHUP, lambda: _in_background(reloading())
            )
        if serves_chat and bot.web_chat is not None:
            log.log(*bot.settings.web_demo_login_status())
        log.info(
            "ready: role=%s schools=%d flows=%s loop=%s",
            role,
            len(bot.parts),
            ",".join(bot.router.flows),
            type(asyncio.get_running_loop()).__module__.split(".")[0],
        )
        if settle_memory:
            settle_startup_memory()
        yield
        if receiver is not None:  # no e-mail is taken once the bot is stopping
            await receiver.stop()
        await running.stop_all()
        for channel in bot.channels:
            await channel.stop()
        await bot.engine.dispose()

    app.cleanup_ctx.append(lifecycle)
    return app


# The reloads under way: the event loop keeps only a weak reference to a task.
_RELOADS: set[asyncio.Task[str]] = set()


def _in_background(reload: Coroutine[Any, Any, str]) -> None:
    task = asyncio.create_task(reload, name="reload")
    _RELOADS.add(task)
    task.add_done_callback(_RELOADS.discard)


def settle_startup_memory() -> None:
    """Take what the bot built at start (modules, mapped classes, flows, the school file: it
    lives as long as the process) out of the garbage collector's full collections, which then
    look only at what turns made since. Measured with 50 people answering: one full collection
    stopped the event loop for 105-125 ms, a person's turn held up behind it. Not for a process
    that builds many bots (the tests): whatever it holds now is never collected after this."""
    gc.collect()
    gc.freeze()


def _handler_args(settings: Settings) -> dict[str, Any]:
    """How each connection is served, whichever runner starts the server (`web.run_app` in
    `python -m bot run`, `web.AppRunner` in the tests and benchmarks): `handler_args` overrides
    the runner's own (https://docs.aiohttp.org/en/stable/web_reference.html#aiohttp.web.Application).

    aiohttp has no timeout of its own for reading a request's head. Its keep-alive timer is one:
    it starts when a connection opens (aiohttp 3.14.5, aio-libs/aiohttp#13681) and again after
    each answer, is not restarted by bytes arriving, and closes the connection if no whole
    request head has come when it runs out (RequestHandler._process_keepalive). So a half-sent
    request is dropped after HTTP_HEADER_TIMEOUT_SECONDS instead of run_app's 75 s (or the
    3,630 s of a bare AppRunner), while a request being answered, a websocket included, is
    never cut short by it."""
    return {"keepalive_timeout": settings.http_header_timeout_seconds}
