"""Composing the bot: settings -> configuration, storage, router, channels, scheduler, server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.audit.chat import invitation
from bot.audit.invitations import InvitationSender
from bot.audit.policy_review import PolicyReviewReminder
from bot.audit.scheduled import AuditJobs
from bot.cases.alerts import AlertDesk
from bot.cases.cards import CardMaker
from bot.channels.audience import audience_for
from bot.channels.slack.handler import SlackChannel
from bot.channels.slack.notifier import CHANNEL as SLACK
from bot.channels.teams.handler import TeamsChannel
from bot.channels.teams.parse import CHANNEL as TEAMS
from bot.channels.web.audit_routes import add_audit_routes
from bot.channels.web.auth import load_secret
from bot.channels.web.export_routes import add_export_routes
from bot.channels.web.guard import Guard
from bot.channels.web.handler import WebChat
from bot.channels.web.notifier import WebNotifier
from bot.channels.web.parse import CHANNEL
from bot.channels.web.sessions import WebSessions
from bot.chat.router import Router, RouterSettings
from bot.delivery.dispatch import Dispatcher
from bot.delivery.messages import Outbound
from bot.delivery.notifier import Notifier
from bot.health import add_health_routes
from bot.logs import request_ids
from bot.metrics import BotMetrics
from bot.reports.kinds import check_report_kinds
from bot.reports.service import bind_reports_from_before
from bot.school.config import SchoolConfig, load_school_config
from bot.school.people import sync_people
from bot.settings import Settings
from bot.training.service import sync_from_config as sync_training
from dialogs.datetimes import format_moment
from dialogs.loader import BUILTIN_FLOWS, load_flows
from scheduler.jobs import JobContext
from scheduler.leader import Leadership
from scheduler.setup import ScheduledJobs
from storage.crypto import Cipher, load_cipher
from storage.db import create_engine, session_factory
from storage.locks import MIGRATIONS_LOCK, serialise
from storage.migrate import head_revision, upgrade
from storage.models import AuditCampaign, AuditMessage

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Bot:
    """Everything a running bot holds, for the server and for tests."""

    settings: Settings
    school: SchoolConfig
    engine: AsyncEngine
    cipher: Cipher
    router: Router
    web_chat: WebChat | None
    jobs: JobContext
    dispatcher: Dispatcher
    slack: SlackChannel | None = None
    metrics: BotMetrics | None = None
    teams: TeamsChannel | None = None
    audit: AuditJobs | None = None


def build_bot(
    settings: Settings, *, clock: Clock = utc_now, notifiers: Mapping[str, Notifier] | None = None
) -> Bot:
    """Load and check configuration and flows; raises with a clear message when one is bad."""
    school = load_school_config(settings.school_config)
    # The data folder holds the key and the database: nobody else on the machine needs it.
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    flows = load_flows(BUILTIN_FLOWS, settings.flows_dir)
    check_report_kinds(flows.values())
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    cipher = load_cipher(configured=key, key_file=settings.key_file)
    engine = create_engine(settings.resolved_database_url)
    sessions = session_factory(engine)
    retention = timedelta(hours=settings.draft_retention_hours)
    extra = dict(notifiers or {})
    channels = (*alert_channels(settings), *extra)
    desk = AlertDesk(school=school, cipher=cipher, channels=channels)
    cards = CardMaker(school=school, cipher=cipher, flows=flows)
    router = Router(
        sessions=sessions,
        cipher=cipher,
        school=school,
        flows=flows,
        clock=clock,
        desk=desk,
        cards=cards,
        settings=RouterSettings(
            draft_retention=retention,
            welcome_back_after=timedelta(minutes=settings.welcome_back_after_minutes),
        ),
    )
    web_chat = None
    if settings.web_chat_enabled:
        web_chat = WebChat(
            router=router,
            school=school,
            secret=load_secret(settings.data_dir / "web_session.key"),
            allow_remote_login=settings.web_demo_login_remote,
            demo_login=settings.web_demo_login_enabled,
            sessions=WebSessions(
                sessions=sessions,
                school=school,
                clock=clock,
                idle_dsl=timedelta(minutes=settings.web_idle_minutes_dsl),
                idle_staff=timedelta(minutes=settings.web_idle_minutes_staff),
            ),
            guard=Guard(origins=settings.web_origins, port=settings.port),
        )
        extra[CHANNEL] = WebNotifier(web_chat)
    slack = None
    if settings.slack_enabled:
        slack = SlackChannel(settings=settings, router=router, school=school)
        extra[SLACK] = slack.notifier
    teams = None
    if settings.teams_enabled:
        teams = TeamsChannel(settings=settings, router=router, school=school)
        extra[TEAMS] = teams.notifier
    lease = timedelta(seconds=settings.outbox_lease_seconds)
    dispatcher = Dispatcher(
        sessions=sessions, notifiers=extra, cards=cards, clock=clock, lease=lease
    )
    router.wake = dispatcher.wake
    if web_chat is not None:
        web_chat.on_connect = dispatcher.deliver_due
    if teams is not None:
        teams.on_reachable = dispatcher.deliver_due
    jobs = JobContext(
        sessions=sessions,
        cipher=cipher,
        clock=clock,
        draft_retention=retention,
        desk=desk,
        dispatcher=dispatcher,
    )
    metrics = BotMetrics(sessions)
    metrics.instrument(router, dispatcher)
    audit = _audit_jobs(router, sessions, extra, slack, teams, web=web_chat is not None)
    return Bot(
        settings,
        school,
        engine,
        cipher,
        router,
        web_chat,
        jobs,
        dispatcher,
        slack,
        metrics,
        teams,
        audit,
    )


def _audit_jobs(
    router: Router,
    sessions: async_sessionmaker[AsyncSession],
    notifiers: Mapping[str, Notifier],
    slack: SlackChannel | None,
    teams: TeamsChannel | None,
    *,
    web: bool,
) -> AuditJobs:
    audits, school = router.audits, router.school
    audits.audience = audience_for(school=school, slack=slack, teams=teams, web=web)

    async def compose(row: AuditMessage) -> list[Outbound]:
        async with sessions() as session:
            campaign = await session.get(AuditCampaign, row.campaign_id)
        assert campaign is not None
        closes = format_moment(campaign.closes_at, school.tz)
        return invitation(campaign, reminder=row.n, closes=closes, flow=audits.dialog_for(campaign))

    async def start(session: AsyncSession, now: datetime) -> object:
        return await audits.start(session, started_by="scheduler", now=now)

    sender = InvitationSender(
        sessions=sessions, notifiers=notifiers, compose=compose, clock=router.clock
    )
    review = PolicyReviewReminder(
        school=school,
        sessions=sessions,
        notifiers=notifiers,
        channels=router.desk.channels,
        clock=router.clock,
    )
    return AuditJobs(
        sessions, router.clock, school.audit, start, sender, review, timezone=school.timezone
    )


def alert_channels(settings: Settings) -> list[str]:
    """Where alerts go: every chat platform that is configured; the local web chat only when
    there is none (it is the try-it-out channel, and nobody would read alerts queued there)."""
    platforms = ["slack"] if settings.slack_enabled else []
    if settings.teams_enabled:
        platforms.append("teams")
    return platforms or (["web"] if settings.web_chat_enabled else [])


async def prepare_storage(bot: Bot) -> None:
    """Migrate the database and mirror the school's people into it."""
    await upgrade(bot.engine)
    log.info("database schema is current (revision %s)", head_revision())
    async with bot.router.sessions() as session, session.begin():
        await serialise(session, MIGRATIONS_LOCK)  # replicas starting together sync one at a time
        await sync_people(session, school=bot.school, now=bot.router.clock())
        await sync_training(session, bot.school.training, now=bot.router.clock())
        await bind_reports_from_before(session, now=bot.router.clock())


def create_app(bot: Bot, *, run_scheduler: bool = True) -> web.Application:
    """The server for the bot's role (settings.role): `web` serves the chat channels, with
    no scheduled jobs; `scheduler` runs the scheduled jobs if it leads (see scheduler.leader),
    serving only health and metrics; `all` does both. Every role delivers the outbox rows it
    queues at once; `run_scheduler=False` (tests) leaves the jobs off whatever the role."""
    role = bot.settings.role
    serves_chat = role in {"all", "web"}
    app = web.Application(client_max_size=256 * 1024, middlewares=[request_ids])
    add_health_routes(app, bot.engine)
    if bot.metrics is not None:
        bot.metrics.add_routes(app)
    if serves_chat and bot.web_chat is not None:
        bot.web_chat.add_routes(app)
        add_export_routes(app, bot.web_chat)
        add_audit_routes(app, bot.web_chat)
    if serves_chat and bot.slack is not None:
        bot.slack.add_routes(app)
    if serves_chat and bot.teams is not None:
        bot.teams.add_routes(app)
    leadership = None
    if run_scheduler and role in {"all", "scheduler"}:
        jobs = ScheduledJobs(
            bot.jobs,
            timezone=bot.school.timezone,
            audit=bot.audit,
            sweep_seconds=bot.settings.alert_sweep_seconds,
        )
        leadership = Leadership(
            bot.engine,
            on_lead=jobs.start,
            on_follow=jobs.stop,
            retry_seconds=bot.settings.leader_retry_seconds,
        )
        if bot.metrics is not None:
            bot.metrics.report_leadership(lambda: jobs.running)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await prepare_storage(bot)
        delivering = asyncio.create_task(bot.dispatcher.run(), name="outbox-dispatcher")
        if serves_chat and bot.slack is not None:
            await bot.slack.start_socket_mode()
        if serves_chat and bot.teams is not None:
            await bot.teams.report_unreachable()
        if leadership is not None:
            leadership.start()  # leading, its first sweep sends whatever a crash left
        if serves_chat and bot.web_chat is not None:
            log.log(*bot.settings.web_demo_login_status())
        log.info(
            "ready: role=%s school=%r flows=%s",
            role,
            bot.school.name,
            ",".join(bot.router.flows),
        )
        yield
        if leadership is not None:
            await leadership.stop()
        await bot.dispatcher.stop(delivering)
        if bot.slack is not None:
            await bot.slack.stop()
        await bot.engine.dispose()

    app.cleanup_ctx.append(lifecycle)
    return app
