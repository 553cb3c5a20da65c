"""Composing the bot: settings -> configuration, storage, router, channels, scheduler, server."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.audit.chat import AuditCommands
from bot.audit.invitations import InvitationSender
from bot.audit.policy_review import PolicyReviewReminder
from bot.audit.scheduled import AuditJobs
from bot.audit.use_cases import AuditStarter, AuditUseCases, staff_audience
from bot.briefings.chat import BriefingCommands
from bot.briefings.drafts import DraftPreparer
from bot.briefings.start import BriefingStarter
from bot.cases.alerts import AlertDesk
from bot.cases.cards import CardMaker
from bot.cases.chat import CaseCommands
from bot.cases.flow_words import for_school
from bot.cases.follow_ups import FollowUpWords
from bot.cases.use_cases import CaseUseCases
from bot.channels.alert_rules import alert_rule_notifiers
from bot.channels.services import Services
from bot.channels.slack.handler import SlackChannel
from bot.channels.teams.handler import TeamsChannel
from bot.channels.web.auth import load_secret
from bot.channels.web.guard import Guard
from bot.channels.web.handler import WebChat
from bot.channels.web.oidc.setup import school_sign_in
from bot.channels.web.sessions import WebSessions
from bot.chat.draft_notices import DraftSettings, OutboxWords, kind_words_of
from bot.chat.router import Router, RouterSettings, build_dialogs
from bot.delivery.channel import Capabilities, Channel
from bot.delivery.dispatch import Dispatcher
from bot.delivery.notifier import Notifier
from bot.metrics import BotMetrics
from bot.monitoring.checks import check_categories
from bot.monitoring.checks_chat import CheckCommands
from bot.monitoring.checks_schedule import warn_if_nobody_to_ask
from bot.monitoring.filing import AlertFiler
from bot.monitoring.review_chat import ReviewCommands
from bot.monitoring.review_scheduled import ReviewOpener
from bot.monitoring.review_use_cases import ReviewUseCases
from bot.monitoring.use_cases import EmailAlerts, Webhooks, webhooks_for
from bot.reports.kinds import check_report_kinds
from bot.reports.service import bind_reports_from_before
from bot.school.config import SchoolConfig, load_school_config
from bot.school.filtering_standard import warn_missing_named_roles
from bot.school.people import sync_people
from bot.settings import Settings
from bot.training.chat import TrainingCommands
from bot.training.service import sync_from_config as sync_training
from dialogs.loader import BUILTIN_FLOWS, load_flows
from scheduler.jobs import JobContext
from storage.crypto import Cipher, load_cipher
from storage.db import create_engine
from storage.locks import MIGRATIONS_LOCK, serialise
from storage.migrate import head_revision, upgrade
from storage.scope import ONE_SCHOOL, school_sessions, trust_sessions

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


# What each kind of channel can do, known before any is made: the case commands need it (a
# file that leaves with a turn's replies is recorded then), and the channels need the router.
CAPABILITIES: dict[str, Capabilities] = {
    channel.name: channel.capabilities for channel in (SlackChannel, TeamsChannel, WebChat)
}


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
    channels: tuple[Channel, ...] = ()
    monitoring: Webhooks | None = None  # the providers' webhooks (None: none configured)
    # The providers' alert e-mails, filed (None: the school file sets no `monitoring: email:`).
    email_alerts: EmailAlerts | None = None


def build_bot(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    notifiers: Mapping[str, Notifier] | None = None,
    school_id: int = ONE_SCHOOL,
) -> Bot:
    """Load and check configuration and flows; raises with a clear message when one is bad.

    The bot serves one school of the database (`school_id`: its row in `schools`), and sees
    and writes that school's records only (storage.scope)."""
    school = load_school_config(settings.school_config)
    school.calendar.warn_if_out_of_date(clock().astimezone(school.tz).date())
    warn_missing_named_roles(school)  # the DfE filtering and monitoring standard's named roles
    # The data folder holds the key and the database: nobody else on the machine needs it.
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    flows = for_school(load_flows(BUILTIN_FLOWS, settings.flows_dir), school)
    check_report_kinds(flows.values())
    for flow in flows.values():
        if flow.spec.purpose == "check":
            check_categories(flow.spec, str(flow.source))
    warn_if_nobody_to_ask(school)
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    cipher = load_cipher(configured=key, key_file=settings.key_file)
    engine = create_engine(
        settings.resolved_database_url,
        pool_size=settings.database_pool_size,
        pool_overflow=settings.database_pool_overflow,
    )
    sessions = school_sessions(engine, school_id)
    retention = timedelta(hours=settings.draft_retention_hours)
    # Every channel's notifier, by name: those given (tests), then the channels' (below). The
    # dispatcher and the senders are made with this mapping before the channels that fill it,
    # since the channels are made with the turn entry point that wakes the dispatcher.
    by_name: dict[str, Notifier] = dict(notifiers or {})
    desk = AlertDesk(school=school, cipher=cipher, channels=(*alert_channels(settings), *by_name))
    cards = CardMaker(school=school, cipher=cipher, flows=flows)
    drafts = DraftSettings(
        remind_after=timedelta(minutes=settings.draft_reminder_after_minutes),
        morning=settings.draft_reminder_morning,
        retention=retention,
        grace=timedelta(hours=settings.draft_purge_grace_hours),
        kinds=kind_words_of(flows.values()),
    )
    lease = timedelta(seconds=settings.outbox_lease_seconds)
    metrics = BotMetrics(sessions)
    words = OutboxWords(cards=cards, school=school, drafts=drafts)
    dispatcher = Dispatcher(
        sessions=sessions,
        notifiers=by_name,
        cards=FollowUpWords(words=words, cards=cards, platforms=desk.channels),
        clock=clock,
        lease=lease,
        delivered=metrics.delivered,
    )
    # The channels the self-audit asks, in order of preference (filled with the channels).
    asked: list[Channel] = []
    starter = AuditStarter(school=school, flows=flows, audience=staff_audience(asked))
    briefings = BriefingStarter(audit=starter)  # the same audience, on the same campaigns
    dialogs = build_dialogs(flows, school=school, clock=clock)
    checks = CheckCommands(school, cipher, desk, dialogs, capabilities=CAPABILITIES)
    router = Router(
        sessions=sessions,
        cipher=cipher,
        school=school,
        flows=flows,
        dialogs=dialogs,
        clock=clock,
        desk=desk,
        cases=CaseCommands(desk, cards, dialogs, capabilities=CAPABILITIES),
        audits=AuditCommands(school=school, cipher=cipher, clock=clock, starter=starter),
        briefings=BriefingCommands(
            school=school, cipher=cipher, starter=briefings, dialogs=dialogs
        ),
        reviews=ReviewCommands(
            school=school, cipher=cipher, flows=flows, clock=clock, channels=desk.channels
        ),
        training=TrainingCommands(school, clock),
        checks=checks,
        wake=dispatcher.wake,
        turn_timed=metrics.turn_timed,
        settings=RouterSettings(
            draft_retention=retention,
            drafts=drafts,
            welcome_back_after=timedelta(minutes=settings.welcome_back_after_minutes),
        ),
    )
    services = Services(
        handle=router.handle,
        people=router.people,
        cases=CaseUseCases(desk, cards),
        audits=AuditUseCases(school=school, cipher=cipher),
        deliver_due=dispatcher.deliver_due,
        sessions=sessions,
        clock=clock,
        school=school,
        report_menu=tuple((f"start:{f.id}", f.spec.title) for f in router.report_flows.values()),
        checks=checks,
        reviews=ReviewUseCases(
            school=school,
            cipher=cipher,
            spec=flows["filtering_review"].spec if "filtering_review" in flows else None,
        ),
    )
    teams = TeamsChannel(settings=settings, services=services) if settings.teams_enabled else None
    slack = SlackChannel(settings=settings, services=services) if settings.slack_enabled else None
    web_chat = _web_chat(settings, services) if settings.web_chat_enabled else None
    # Teams first, then Slack: someone on both is asked the self-audit on Teams.
    channels: tuple[Channel, ...] = tuple(c for c in (teams, slack, web_chat) if c is not None)
    by_name.update({channel.name: channel.notifier for channel in channels})
    # The people's alert rules: follow-ups only, so not among the desk's alert channels.
    by_name.update(
        {k: v for k, v in alert_rule_notifiers(settings, school).items() if k not in by_name}
    )
    platforms = [c for c in channels if not c.capabilities.stand_in]
    asked += platforms or list(channels)
    jobs = JobContext(
        sessions=sessions,
        cipher=cipher,
        clock=clock,
        drafts=drafts,
        desk=desk,
        dispatcher=dispatcher,
        trust_sessions=trust_sessions(engine),
    )
    sender = InvitationSender(sessions=sessions, notifiers=by_name, clock=clock, tz=school.tz)
    review = PolicyReviewReminder(
        school=school, sessions=sessions, notifiers=by_name, channels=desk.channels, clock=clock
    )
    audit = AuditJobs(
        sessions=sessions,
        clock=clock,
        settings=school.audit,
        starter=starter,
        sender=sender,
        briefings=briefings,
        policy_review_reminder=review,
        filtering_review=ReviewOpener(
            school=school,
            sessions=sessions,
            channels=desk.channels,
            clock=clock,
            deliver=dispatcher.deliver_due,
        ),
        briefing_drafts=DraftPreparer(
            school=school,
            sessions=sessions,
            channels=desk.channels,
            clock=clock,
            wake=dispatcher.wake,
        ),
        timezone=school.timezone,
    )
    monitoring = None
    if school.monitoring.providers:
        monitoring = webhooks_for(
            school,
            school_file=settings.school_config,
            filer=AlertFiler(desk),
            sessions=sessions,
            clock=clock,
            wake=dispatcher.wake,
        )
    email_alerts = None
    if school.monitoring.email is not None:
        email_alerts = EmailAlerts(
            filer=AlertFiler(desk), sessions=sessions, clock=clock, wake=dispatcher.wake
        )
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
        channels,
        monitoring,
        email_alerts,
    )


def _web_chat(settings: Settings, services: Services) -> WebChat:
    shared = settings.web_session_secret
    secret = (
        shared.get_secret_value().encode()
        if shared is not None
        else load_secret(settings.data_dir / "web_session.key")
    )
    return WebChat(
        services=services,
        secret=secret,
        allow_remote_login=settings.web_demo_login_remote,
        demo_login=settings.web_demo_login_enabled,
        sessions=WebSessions(
            sessions=services.sessions,
            school=services.school,
            clock=services.clock,
            idle_dsl=timedelta(minutes=settings.web_idle_minutes_dsl),
            idle_staff=timedelta(minutes=settings.web_idle_minutes_staff),
            step_up_after=timedelta(minutes=settings.web_step_up_minutes),
        ),
        guard=Guard(origins=settings.web_origins, port=settings.port),
        secure_cookies=settings.secure_cookies,
        school_sign_in=school_sign_in(settings, services, secret),
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
