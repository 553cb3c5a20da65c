"""Composing the bot: settings -> configuration, storage, router, channels, scheduler, server."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.audit.invitations import SharedPacers
from bot.audit.scheduled import AuditJobs
from bot.cases.use_cases import FinalLevel
from bot.channels.services import Schools, Services
from bot.channels.slack.handler import SlackChannel
from bot.channels.teams.handler import TeamsChannel
from bot.channels.web.auth import load_secret
from bot.channels.web.guard import Guard
from bot.channels.web.handler import WebChat
from bot.channels.web.oidc.setup import school_sign_in
from bot.channels.web.sessions import WebSessions
from bot.chat.router import Router
from bot.delivery.channel import Channel
from bot.delivery.dispatch import Dispatcher
from bot.delivery.notifier import Notifier
from bot.metrics import BotMetrics
from bot.monitoring.use_cases import EmailAlerts, Webhooks
from bot.reports.service import bind_reports_from_before
from bot.school.config import SchoolConfig, load_school_config
from bot.school.people import sync_people
from bot.school.trust import SINGLE_SCHOOL_KEY, Trust, load_trust, trust_directory
from bot.school_parts import SchoolParts, build_school, school_flows
from bot.settings import Settings
from bot.training.service import sync_from_config as sync_training
from bot.trust_desk import TrustDesk
from dialogs.loader import BUILTIN_FLOWS, load_flows
from scheduler.jobs import JobContext
from storage.crypto import Cipher, load_cipher
from storage.db import create_engine, session_factory
from storage.locks import MIGRATIONS_LOCK, serialise
from storage.migrate import head_revision, upgrade
from storage.models import School
from storage.scope import (
    ONE_SCHOOL,
    TRUST_CHANNELS_KEY,
    assign_address_book,
    assign_school,
    school_of_sessions,
    school_sessions,
    trust_sessions,
)

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
    channels: tuple[Channel, ...] = ()
    monitoring: Webhooks | None = None  # the providers' webhooks (None: none configured)
    # The providers' alert e-mails, filed (None: the school file sets no `monitoring: email:`).
    email_alerts: EmailAlerts | None = None
    # Every school's part, by key: the one school's, or each of a trust's (TRUST_CONFIG), in
    # the trust file's order; the fields above are the first's.
    parts: dict[str, SchoolParts] = field(default_factory=dict)
    desk: TrustDesk | None = None  # which school each turn is for, when serving a trust
    # A trust's Slack and Teams address book (its row TRUST_CHANNELS_KEY: see prepare_storage);
    # None where each school's is its own (a deployment of one school).
    address_book: async_sessionmaker[AsyncSession] | None = None


def build_bot(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    notifiers: Mapping[str, Notifier] | None = None,
    school_id: int | None = None,
) -> Bot:
    """Load and check configuration and flows; raises with a clear message when one is bad.

    The bot serves one school of the database, SCHOOL_KEY's (or `school_id`'s, its row in
    `schools`), and sees and writes that school's records only (storage.scope). The first
    school, `default`, is always row 1; another's row is found, or made, by `prepare_storage`
    (or `attach_school`): until then the bot's sessions refuse every school's record."""
    if settings.trust_config is not None:
        return build_trust_bot(settings, clock=clock, notifiers=notifiers)
    if school_id is None and settings.school_key == SINGLE_SCHOOL_KEY:
        school_id = ONE_SCHOOL
    school = load_school_config(settings.school_config)
    flows = school_flows(settings, school, clock)
    cipher, engine = _storage(settings)
    parts = build_school(
        settings,
        school,
        flows,
        engine=engine,
        cipher=cipher,
        clock=clock,
        school_id=school_id,
        notifiers=dict(notifiers or {}),
        alert_channels=alert_channels(settings),
    )
    services = parts.services
    teams = TeamsChannel(settings=settings, services=services) if settings.teams_enabled else None
    slack = SlackChannel(settings=settings, services=services) if settings.slack_enabled else None
    web_chat = _web_chat(settings, services) if settings.web_chat_enabled else None
    # Teams first, then Slack: someone on both is asked the self-audit on Teams.
    channels: tuple[Channel, ...] = tuple(c for c in (teams, slack, web_chat) if c is not None)
    parts.connect(settings, channels)
    return Bot(
        settings,
        school,
        engine,
        cipher,
        parts.router,
        web_chat,
        parts.jobs,
        parts.dispatcher,
        slack,
        parts.metrics,
        teams,
        parts.audit,
        channels,
        parts.monitoring,
        parts.email_alerts,
        parts={settings.school_key: parts},
    )


class TrustNotServed(ValueError):
    """The trust file asks for what a deployment serving a trust does not do yet."""


def build_trust_bot(
    settings: Settings, *, clock: Clock = utc_now, notifiers: Mapping[str, Notifier] | None = None
) -> Bot:
    """A deployment serving a trust's schools (TRUST_CONFIG), each with its own part on the
    one database, key and channels; raises `TrustConfigError` (every problem of every file) or
    `TrustNotServed` before anything is written."""
    trust = checked_trust(settings)
    cipher, engine = _storage(settings)
    # One Slack workspace or Teams registration for every school: one address book, the
    # trust's (its row is found or made by prepare_storage).
    book = school_sessions(engine, None)
    parts = trust_parts(
        settings,
        trust,
        engine=engine,
        cipher=cipher,
        clock=clock,
        notifiers=notifiers,
    )
    desk = TrustDesk(trust, parts, session_factory(engine), cipher, clock)
    first = next(iter(parts.values()))
    # The channels are the trust's: they know anyone on the staff of any of the schools, and
    # ask the desk which school each turn is for.
    everyone = replace(first.services, school=trust_directory(trust))
    platforms = replace(everyone, sessions=book)
    teams = (
        TeamsChannel(settings=settings, services=platforms, schools=desk)
        if settings.teams_enabled
        else None
    )
    slack = (
        SlackChannel(settings=settings, services=platforms, schools=desk)
        if settings.slack_enabled
        else None
    )
    web_chat = _web_chat(settings, everyone, schools=desk)
    channels: tuple[Channel, ...] = tuple(c for c in (teams, slack, web_chat) if c is not None)
    for key, part in parts.items():
        part.connect(settings, channels, key=key)
    return Bot(
        settings,
        first.school,
        engine,
        cipher,
        first.router,
        web_chat,
        first.jobs,
        first.dispatcher,
        slack,
        metrics=first.metrics,
        teams=teams,
        audit=first.audit,
        channels=channels,
        parts=parts,
        desk=desk,
        address_book=book,
    )


def checked_trust(settings: Settings) -> Trust:
    """The trust file and its schools' files, checked: raises `TrustConfigError` (every problem
    of every file) or `TrustNotServed`."""
    assert settings.trust_config is not None
    trust = load_trust(settings.trust_config)
    if (problem := trust_problem(settings, trust)) is not None:
        raise TrustNotServed(problem)
    return trust


def trust_parts(
    settings: Settings,
    trust: Trust,
    *,
    engine: AsyncEngine,
    cipher: Cipher,
    clock: Clock,
    notifiers: Mapping[str, Notifier] | None = None,
    ids: Mapping[str, int] | None = None,
) -> dict[str, SchoolParts]:
    """Each school's part, its flows checked first (raises `FlowError` for any school's):
    `ids` are the schools' rows already known (a reload's); the others are found or made by
    `prepare_school`."""
    known = {SINGLE_SCHOOL_KEY: ONE_SCHOOL, **(ids or {})}
    # The flow files are every school's: read once (each school's part shapes its own copy).
    loaded = load_flows(BUILTIN_FLOWS, settings.flows_dir)
    flows = {
        k: school_flows(settings, school, clock, loaded) for k, school in trust.schools.items()
    }
    final = None  # the trust's final level, after each school's own chain
    if trust.escalate_after is not None and trust.leads:
        final = FinalLevel(after=trust.escalate_after, emails=trust.leads)
    # One Slack workspace or Teams registration for every school: one rate for every school's
    # campaigns (the self-audit, briefings), however many schools run one at once.
    pacers: SharedPacers = {}
    return {
        key: build_school(
            settings,
            school,
            flows[key],
            engine=engine,
            cipher=cipher,
            clock=clock,
            school_id=known.get(key),
            notifiers=dict(notifiers or {}),
            alert_channels=alert_channels(settings),
            final=final,
            pacers=pacers,
        )
        for key, school in trust.schools.items()
    }


def trust_problem(settings: Settings, trust: Trust) -> str | None:
    """What a deployment serving a trust cannot do yet, that the settings or files ask of it."""
    if not settings.web_chat_enabled:
        return "TRUST_CONFIG: a deployment serving a trust needs the web chat (WEB_CHAT_ENABLED)."
    mailed = [key for key, school in trust.schools.items() if school.monitoring.email is not None]
    if mailed:
        return (
            "TRUST_CONFIG: a deployment serving a trust does not take monitoring providers' "
            f"alert e-mails yet, and {', '.join(mailed)} expect them (their school file's "
            "`monitoring: email:`). Run those schools with a deployment each (SCHOOL_KEY), so "
            "that no alert goes unreceived; providers' webhooks are taken (README)."
        )
    return _shared_secret(trust)


def _shared_secret(trust: Trust) -> str | None:
    """Each school's monitoring provider signs with a secret of its own: one shared by two
    schools would let an alert meant for one be filed, signed, in the other's records."""
    holders: dict[str, list[str]] = {}
    for key, school in trust.schools.items():
        for name, provider in school.monitoring.providers.items():
            holders.setdefault(provider.secret_variable(name), []).append(f"{key} ({name})")
    shared = {variable: keys for variable, keys in holders.items() if len(keys) > 1}
    if not shared:
        return None
    variable, keys = next(iter(shared.items()))
    return (
        f"TRUST_CONFIG: the monitoring providers of {', '.join(keys)} would share one secret, "
        f"{variable}: give each school's provider its own with `secret_env:` in its school "
        "file, so that an alert signed for one school cannot be filed in another's records."
    )


def _storage(settings: Settings) -> tuple[Cipher, AsyncEngine]:
    # The data folder holds the key and the database: nobody else on the machine needs it.
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    cipher = load_cipher(configured=key, key_file=settings.key_file)
    engine = create_engine(
        settings.resolved_database_url,
        pool_size=settings.database_pool_size,
        pool_overflow=settings.database_pool_overflow,
    )
    return cipher, engine


def _web_chat(settings: Settings, services: Services, *, schools: Schools | None = None) -> WebChat:
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
        schools=schools,
    )


def alert_channels(settings: Settings) -> list[str]:
    """Where alerts go: every chat platform that is configured; the local web chat only when
    there is none (it is the try-it-out channel, and nobody would read alerts queued there)."""
    platforms = ["slack"] if settings.slack_enabled else []
    if settings.teams_enabled:
        platforms.append("teams")
    return platforms or (["web"] if settings.web_chat_enabled else [])


async def prepare_storage(bot: Bot) -> None:
    """Migrate the database, find each school's row (made the first time), and mirror each
    school's people into it."""
    await upgrade(bot.engine)
    log.info("database schema is current (revision %s)", head_revision())
    book = None
    if bot.address_book is not None:
        book = await attach_address_book(bot.engine, bot.address_book, clock=bot.router.clock)
    for key, part in bot.parts.items():
        await prepare_school(bot.engine, part, key, clock=bot.router.clock, address_book=book)


async def prepare_school(
    engine: AsyncEngine,
    part: SchoolParts,
    key: str,
    *,
    clock: Clock,
    address_book: int | None = None,
) -> None:
    """Find the school's row (made the first time) and mirror its file's people into it;
    `address_book`: the trust's (its row's id), where the school reaches its people."""
    await _attach(engine, part, key, create=True, clock=clock)
    if address_book is not None:
        assign_address_book(part.sessions, address_book)
    async with part.sessions() as session, session.begin():
        await serialise(session, MIGRATIONS_LOCK)  # replicas starting together: one at a time
        await sync_people(session, school=part.school, now=clock())
        await sync_training(session, part.school.training, now=clock())
        await bind_reports_from_before(session, now=clock())


async def attach_address_book(
    engine: AsyncEngine, book: async_sessionmaker[AsyncSession], *, clock: Clock
) -> int:
    """Give a trust's address book its row (TRUST_CHANNELS_KEY, made the first time): who each
    Slack and Teams id is, and how to message them first, once for the whole trust. Its id."""
    if (known := school_of_sessions(book)) is not None:
        return known
    async with trust_sessions(engine)() as session, session.begin():
        await serialise(session, MIGRATIONS_LOCK)  # two replicas starting make one row
        found = await session.scalar(select(School.id).where(School.key == TRUST_CHANNELS_KEY))
        if found is None:
            row = School(
                key=TRUST_CHANNELS_KEY, name="chat platforms' addresses", created_at=clock()
            )
            session.add(row)
            await session.flush()
            found = row.id
    assign_school(book, found)
    return found


class SchoolNotFound(Exception):
    """SCHOOL_KEY names a school the database does not have yet (the bot makes it at start)."""


async def attach_school(bot: Bot, *, create: bool) -> int:
    """The id of the (first) school the bot serves, given to its sessions; its row is made
    when `create` (at start) and missing (a school new to the database)."""
    key, part = next(iter(bot.parts.items()))
    return await _attach(bot.engine, part, key, create=create, clock=bot.router.clock)


async def _attach(
    engine: AsyncEngine, part: SchoolParts, key: str, *, create: bool, clock: Clock
) -> int:
    known = part.school_id
    if known is not None:
        return known
    async with trust_sessions(engine)() as session, session.begin():
        await serialise(session, MIGRATIONS_LOCK)  # two replicas of a new school make one row
        school_id = await session.scalar(select(School.id).where(School.key == key))
        if school_id is None:
            if not create:
                raise SchoolNotFound(
                    f"the database has no school {key!r} (SCHOOL_KEY) yet: start the bot, or "
                    "run python -m bot migrate, to add it"
                )
            row = School(key=key, name=part.school.name, created_at=clock())
            session.add(row)
            await session.flush()
            school_id = row.id
            log.info("school %r added to the database (id %d)", key, school_id)
    assign_school(part.sessions, school_id)
    return school_id
