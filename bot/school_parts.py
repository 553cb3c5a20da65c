"""One school's part of a deployment: everything that holds the school's file and keeps to its
records (its router and dialogs, alert desk, outbox dispatcher, scheduled jobs, self-audit and
monitoring), built on the deployment's engine and key. The channels, which a deployment has one
of each whatever it serves, are made afterwards (bot.app) and `connect`ed to it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.audit.chat import AuditCommands
from bot.audit.invitations import InvitationSender, SharedPacers
from bot.audit.policy_review import PolicyReviewReminder
from bot.audit.scheduled import AuditJobs
from bot.audit.use_cases import AuditStarter, AuditUseCases, StaffSource, staff_audience
from bot.briefings.chat import BriefingCommands
from bot.briefings.drafts import DraftPreparer
from bot.briefings.start import BriefingStarter
from bot.cases.alerts import AlertDesk
from bot.cases.cards import CardMaker
from bot.cases.chat import CaseCommands
from bot.cases.flow_words import for_school
from bot.cases.follow_ups import FollowUpWords
from bot.cases.use_cases import CaseUseCases, FinalLevel
from bot.channels.alert_rules import alert_rule_notifiers
from bot.channels.services import Services
from bot.channels.slack.handler import SlackChannel
from bot.channels.teams.handler import TeamsChannel
from bot.channels.web.handler import WebChat
from bot.chat.draft_notices import DraftSettings, OutboxWords, kind_words_of
from bot.chat.router import Router, RouterSettings, build_dialogs
from bot.delivery.channel import Capabilities, Channel, StaffContact
from bot.delivery.dispatch import Dispatcher
from bot.delivery.notifier import Delivery, Notifier
from bot.delivery.school_tags import tag_messages
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
from bot.school.config import SchoolConfig
from bot.school.filtering_standard import warn_missing_named_roles
from bot.settings import Settings
from bot.training.chat import TrainingCommands
from dialogs.loader import BUILTIN_FLOWS, Flow, load_flows
from scheduler.jobs import JobContext
from storage.crypto import Cipher
from storage.scope import school_of_sessions, school_sessions, trust_sessions

Clock = Callable[[], datetime]

# What each kind of channel can do, known before any is made: the case commands need it (a
# file that leaves with a turn's replies is recorded then), and the channels need the router.
CAPABILITIES: dict[str, Capabilities] = {
    channel.name: channel.capabilities for channel in (SlackChannel, TeamsChannel, WebChat)
}


@dataclass
class SchoolParts:
    """One school's part of a running deployment."""

    school: SchoolConfig
    sessions: async_sessionmaker[AsyncSession]
    router: Router
    services: Services
    dispatcher: Dispatcher
    jobs: JobContext
    audit: AuditJobs
    metrics: BotMetrics
    monitoring: Webhooks | None  # the providers' webhooks (None: none configured)
    # The providers' alert e-mails, filed (None: the school file sets no `monitoring: email:`).
    email_alerts: EmailAlerts | None
    # Every channel's notifier, by name: those given (tests), then the channels' once `connect`
    # adds them. The dispatcher and the senders hold this mapping from the start, since the
    # channels are made with the turn entry point that wakes the dispatcher.
    notifiers: dict[str, Notifier] = field(default_factory=dict)
    # The channels the self-audit asks, in order of preference (filled by `connect`).
    asked: list[StaffSource] = field(default_factory=list)

    @property
    def school_id(self) -> int | None:
        """The school's row in `schools`; None until it is found (bot.app.attach_school)."""
        return school_of_sessions(self.sessions)

    def connect(
        self, settings: Settings, channels: tuple[Channel, ...], *, key: str | None = None
    ) -> None:
        """The deployment's channels, made: theirs are the notifiers and the self-audit's.
        `key`: the school's, in a deployment serving a trust, whose channels are every
        school's: its buttons and links then say the school (bot/delivery/school_tags.py),
        and its self-audit asks the people of its own file only."""
        added: dict[str, Notifier] = {channel.name: channel.notifier for channel in channels}
        # The people's alert rules: follow-ups only, so not among the desk's alert channels.
        rules = alert_rule_notifiers(settings, self.school)
        added |= {k: v for k, v in rules.items() if k not in self.notifiers and k not in added}
        if key is not None:
            added = {name: SchoolNotifier(notifier, key) for name, notifier in added.items()}
        self.notifiers.update(added)
        platforms = [c for c in channels if not c.capabilities.stand_in]
        asked = platforms or list(channels)
        self.asked += asked if key is None else [SchoolStaff(c, self.school) for c in asked]


@dataclass(frozen=True)
class SchoolStaff:
    """A channel of a trust's deployment as one school's self-audit sees it: the people it
    can reach who are in the school's file (the channel knows the whole trust's)."""

    channel: Channel
    school: SchoolConfig

    async def staff(self, session: AsyncSession) -> list[StaffContact]:
        found = await self.channel.staff(session)
        return [contact for contact in found if self.school.person(contact.email) is not None]


class SchoolNotifier:
    """A channel's notifier as one school of a trust's deployment reaches people through it:
    every button and link of the school's says which school it is (a click on it goes there)."""

    def __init__(self, notifier: Notifier, key: str) -> None:
        self.notifier = notifier
        self.key = key
        self.channel = notifier.channel

    async def deliver(self, delivery: Delivery) -> str | None:
        tagged = replace(delivery, messages=tag_messages(self.key, delivery.messages))
        return await self.notifier.deliver(tagged)


def school_flows(
    settings: Settings,
    school: SchoolConfig,
    clock: Clock,
    loaded: Mapping[str, Flow] | None = None,
) -> dict[str, Flow]:
    """The school's flows (the built-in ones, with FLOWS_DIR's: `loaded`, when a trust's
    schools share them, read once), checked; and the warnings its file calls for (a calendar
    out of date, a named role of the filtering standard missing)."""
    school.calendar.warn_if_out_of_date(clock().astimezone(school.tz).date())
    warn_missing_named_roles(school)  # the DfE filtering and monitoring standard's named roles
    if loaded is None:
        loaded = load_flows(BUILTIN_FLOWS, settings.flows_dir)
    flows = for_school(loaded, school)
    check_report_kinds(flows.values())
    for flow in flows.values():
        if flow.spec.purpose == "check":
            check_categories(flow.spec, str(flow.source))
    warn_if_nobody_to_ask(school)
    return flows


def build_school(
    settings: Settings,
    school: SchoolConfig,
    flows: dict[str, Flow],
    *,
    engine: AsyncEngine,
    cipher: Cipher,
    clock: Clock,
    school_id: int | None,
    notifiers: dict[str, Notifier],
    alert_channels: list[str],
    final: FinalLevel | None = None,
    pacers: SharedPacers | None = None,
) -> SchoolParts:
    """One school's part, on the deployment's engine and key; its sessions see and write the
    school's records only (storage.scope), once its id is known (`school_id` None: given by
    bot.app.attach_school). `notifiers` are those known before the channels
    (tests' own); `alert_channels` the channels alerts go to; `final` a trust's final level;
    `pacers` the campaigns' pace on each platform, shared by a trust's schools."""
    sessions = school_sessions(engine, school_id)
    retention = timedelta(hours=settings.draft_retention_hours)
    by_name = dict(notifiers)
    desk = AlertDesk(
        school=school,
        cipher=cipher,
        channels=(*alert_channels, *by_name),
        final=final,
    )
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
    asked: list[StaffSource] = []
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
    jobs = JobContext(
        sessions=sessions,
        cipher=cipher,
        clock=clock,
        drafts=drafts,
        desk=desk,
        dispatcher=dispatcher,
        trust_sessions=trust_sessions(engine),
    )
    sender = InvitationSender(
        sessions=sessions, notifiers=by_name, clock=clock, tz=school.tz, pacers=pacers
    )
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
    return SchoolParts(
        school=school,
        sessions=sessions,
        router=router,
        services=services,
        dispatcher=dispatcher,
        jobs=jobs,
        audit=audit,
        metrics=metrics,
        monitoring=monitoring,
        email_alerts=email_alerts,
        notifiers=by_name,
        asked=asked,
    )
