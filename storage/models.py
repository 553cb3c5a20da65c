"""The tables. Report text and pupil identifiers live only in encrypted columns (`*_enc`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UtcDateTime


class Base(DeclarativeBase):
    pass


class School(Base):
    """A school of the trust the deployment serves (one, "default", for a single school).

    Never deleted: every record of the school names it."""

    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("key", name="uq_schools_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))  # the school's key in the trust file
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TrustSeal(Base):
    """A day's seal of the trust's logs: every school's head (its last entry's `seq` and hash)
    that day, chained to the seal before as each log's entries are (bot.record.trust_seal). A
    school's log rewritten up to a sealed entry no longer has that entry's hash."""

    __tablename__ = "trust_seals"
    __table_args__ = (
        UniqueConstraint("seq", name="uq_trust_seals_seq"),
        UniqueConstraint("day", name="uq_trust_seals_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    # [[school id, school key, seq, hash], ...] in school id order
    heads: Mapped[list[list[Any]]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class SchoolRecord:
    """A table of one school's records. Every statement on it is kept to the session's school
    (storage.scope), and a key that is unique is unique within the school."""

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))


class Person(SchoolRecord, Base):
    """Someone named in the school configuration, kept in step with it at every start."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("school_id", "email", name="uq_people_school_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Report(SchoolRecord, Base):
    """A concern or a filtering report. Searchable facts in plain columns; the rest encrypted."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # concern | filtering
    category: Mapped[str | None] = mapped_column(String(40))
    subcategory: Mapped[str | None] = mapped_column(String(40))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    allegation: Mapped[bool] = mapped_column(Boolean, default=False)
    allegation_about_head: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))  # in_progress | submitted | abandoned
    reporter_email: Mapped[str] = mapped_column(String(320), index=True)  # "my reports"
    channel: Mapped[str] = mapped_column(String(20))
    flow_id: Mapped[str] = mapped_column(String(48))
    flow_version: Mapped[int] = mapped_column(Integer)
    answers_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    linked_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The case, as the DSL handles it. `alerted_at` starts the escalation clock.
    # open | acknowledged | closed; indexed: the sweep and "cases" read the open few of many
    case_status: Mapped[str | None] = mapped_column(String(20), index=True)
    alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(320))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Why it is urgent: the reasons the flow gave ("immediate_danger", "sextortion"), codes only.
    urgent_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    # Who an allegation may be about, fixed when it became known (encrypted: it names an adult).
    excluded_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Which an allegation is, as the reporter said (KCSIE part 4): harm, low_level, self_report
    # or not_sure (bot/reports/allegation_kind.py); null when it is about no adult at school.
    allegation_kind: Mapped[str | None] = mapped_column(String(20))
    # A drill (bot/cases/drills.py): a test alert through the real chain, about no child. It is
    # a report row so the drill runs the very code a real alert runs (plan, outbox, escalation,
    # acknowledgement); every list, count and export of real reports leaves it out by this flag.
    drill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Event(SchoolRecord, Base):
    """The append-only record: who did what to which report, and when.

    Plain columns never hold report content; notes and reasons go in `detail_enc`. Each entry
    carries the hash of the one before it, so an edit or a deletion breaks the chain.
    """

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("school_id", "seq", name="uq_events_school_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    detail_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor_email: Mapped[str | None] = mapped_column(String(320))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Conversation(SchoolRecord, Base):
    """One user's dialog state on one channel: a small encrypted JSON document, versioned."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint(
            "school_id", "channel", "conversation_key", name="uq_conversations_school_key"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    conversation_key: Mapped[str] = mapped_column(String(400))
    user_email: Mapped[str] = mapped_column(String(320), index=True)
    state_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=0)
    draft_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class InboundMessage(Base):
    """Platform message ids already handled, so a redelivered message never counts twice."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class EventChain(SchoolRecord, Base):
    """The head of the event log's hash chain: one row, locked while an entry is added."""

    __tablename__ = "event_chain"
    __table_args__ = (UniqueConstraint("school_id", name="uq_event_chain_school"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class Outbox(SchoolRecord, Base):
    """One message to deliver to one person on one channel, kept until it is delivered.

    The unique key means an alert is never sent twice to the same person at the same level.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("report_id", "recipient_email", "channel", "kind", "level"),
        UniqueConstraint(
            "conversation_id",
            "recipient_email",
            "channel",
            "kind",
            "level",
            name="uq_outbox_conversation",
        ),
        # What is due: the pending few among every row ever sent (claim_due, after each report).
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None for a message about a draft (a reminder, the DSL's notice): see `conversation_id`.
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    recipient_email: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))  # alert | update | seen | ict | draft_*
    level: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # pending/sent/dead/cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
    platform_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A message about a draft: its conversation (the level is the conversation's version), and
    # what the message names (the flow, when it was started; never an answer).
    conversation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    about: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ChannelAddress(SchoolRecord, Base):
    """A person as a chat platform knows them: the platform's id for them, the e-mail it gave
    (the identity cache, so a lookup is not repeated on every message), and how to message them
    first (Teams' conversation reference: service URL, conversation, tenant, bot).

    In the database, not in memory, so every replica agrees and a restart remembers who can be
    reached. `reachable` is false once they uninstall the app.
    """

    __tablename__ = "channel_addresses"
    __table_args__ = (
        UniqueConstraint(
            "school_id", "channel", "platform_user_id", name="uq_channel_addresses_school_user"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    platform_user_id: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    # The platform refused to deliver here (Teams 403/404: app removed or blocked), and when.
    unreachable_reason: Mapped[str | None] = mapped_column(String(100))
    unreachable_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    looked_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditCampaign(SchoolRecord, Base):
    """A campaign that asks every member of staff, paced, with reminders: one academic year's
    staff online-safety self-audit (policy Appendix 1; kind "audit", title ""), or a staff
    briefing with read receipts (kind "briefing", its title). The unique key makes a second
    start (a double-fired cron, a restart, a DSL's "audit start", the same briefing sent twice
    in a year) a no-op. `flow_spec` is the question set as it was when the campaign started."""

    __tablename__ = "audit_campaigns"
    __table_args__ = (
        UniqueConstraint(
            "school_id",
            "kind",
            "academic_year",
            "title",
            name="uq_audit_campaigns_school_kind_year",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(  # audit | briefing
        String(20), default="audit", server_default="audit"
    )
    title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    academic_year: Mapped[str] = mapped_column(String(9))  # "2026-27"
    flow_id: Mapped[str] = mapped_column(String(60))
    flow_spec: Mapped[dict[str, object]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_by: Mapped[str] = mapped_column(String(320))  # an e-mail, or "scheduler"
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditParticipant(SchoolRecord, Base):
    """One member of staff in one campaign: where they were asked, how far they got, and their
    answers (encrypted: comments may name colleagues or pupils)."""

    __tablename__ = "audit_participants"
    __table_args__ = (UniqueConstraint("campaign_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("audit_campaigns.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # invited | started | finished
    answers_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    invited_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditMessage(SchoolRecord, Base):
    """An invitation or reminder to send, kept until sent: a restart resumes where it stopped,
    and the unique key means nobody gets the same one twice."""

    __tablename__ = "audit_messages"
    __table_args__ = (UniqueConstraint("participant_id", "kind", "n"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("audit_participants.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("audit_campaigns.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient_email: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(20))  # invite | reminder
    n: Mapped[int] = mapped_column(Integer)  # 0 for the invitation, 1.. for reminders
    status: Mapped[str] = mapped_column(String(20))  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
    platform_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TrainingRecord(SchoolRecord, Base):
    """A training a person completed (policy §11): induction, annual refresher, the two-yearly
    DSL training, or the self-audit itself; from the config, a DSL's command or the audit."""

    __tablename__ = "training_records"
    __table_args__ = (
        UniqueConstraint(
            "school_id", "email", "kind", "completed_on", name="uq_training_records_school_email"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    # induction | refresher | dsl | dsl_update | audit | briefing (one confirmed)
    kind: Mapped[str] = mapped_column(String(30))
    completed_on: Mapped[date] = mapped_column(Date())
    source: Mapped[str] = mapped_column(String(20))  # config | dsl | audit | briefing
    recorded_by: Mapped[str | None] = mapped_column(String(320))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebSession(Base):
    """One sign-in to the web chat. The cookie holds a random token; `id` is its SHA-256, so the
    database alone gives nobody a usable cookie. Sign-out sets `revoked_at`."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # How the person proved who they are: "demo" (loopback only) or "oidc" (the school's
    # identity provider); when they last did (a step-up moves it on), and whether with MFA.
    method: Mapped[str] = mapped_column(String(10), default="demo", server_default="demo")
    authenticated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    mfa: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # The provider's own `auth_time` of that proof (its clock, not ours): a step-up must bring
    # a later one, or the provider did not really ask the person again.
    provider_auth_time: Mapped[int | None] = mapped_column(Integer)


class WebSignIn(Base):
    """A sign-in begun at the school's identity provider and not yet finished: what the answer
    must match (state, nonce, PKCE verifier). `id` is the SHA-256 of the state; `used_at`
    makes each state good for one answer (a replayed one is refused)."""

    __tablename__ = "web_sign_ins"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(128))
    # "sign_in", or "step_up" of the session `session_id` (then only its person may answer).
    purpose: Mapped[str] = mapped_column(String(10))
    session_id: Mapped[str | None] = mapped_column(String(64))
    next_path: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RefusalTally(SchoolRecord, Base):
    """Repeated refusals of one person and action since the first (which is logged as it
    happens), folded into one `refused` event with a count when the window closes."""

    __tablename__ = "refusal_tallies"
    __table_args__ = (
        UniqueConstraint(
            "school_id", "actor_email", "action", name="uq_refusal_tallies_school_actor"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_email: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(100))
    first_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_at: Mapped[datetime] = mapped_column(UtcDateTime())
    repeats: Mapped[int] = mapped_column(Integer)
    # The case the repeats were about; -1 for several (no foreign key: copied into the entry).
    report_id: Mapped[int | None] = mapped_column(Integer)


class SchoolClosure(SchoolRecord, Base):
    """A day the school is shut, recorded in chat by the DSL, a deputy or the head (a snow
    day); the school file's `calendar: closures` hold the ones known in advance."""

    __tablename__ = "school_closures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(320))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CoverRequest(SchoolRecord, Base):
    """A DSL or deputy asking the others to be first contact for a time range (`cover me`):
    asked, then accepted by the first to accept, or expired (the head told), or cancelled."""

    __tablename__ = "cover_requests"
    __table_args__ = (Index("ix_cover_requests_status_expires_at", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_email: Mapped[str] = mapped_column(String(320))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(20))  # asked | accepted | expired | cancelled
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    accepted_by: Mapped[str | None] = mapped_column(String(320))
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # expired or cancelled


class Drill(SchoolRecord, Base):
    """A drill's own facts beside its report row (`reports.drill`): who started it and, for one
    the schedule sent, the term it was for. The unique `term` makes the term's drill once-only:
    a second scheduler (or a restart) inserting the same term fails, and sends nothing."""

    __tablename__ = "drills"
    __table_args__ = (UniqueConstraint("school_id", "term", name="uq_drills_school_term"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), unique=True)
    # "2026-09-02": the first day of the term the schedule sent it for; null when started in chat.
    term: Mapped[str | None] = mapped_column(String(40))
    started_by: Mapped[str] = mapped_column(String(320))  # an e-mail, or "scheduler"
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class BriefingDraft(SchoolRecord, Base):
    """A briefing the scheduler prepared for the DSL to approve (bot/briefings/drafts.py): the
    policy's as the academic year starts, a termly update as each term does. The unique `key`
    ("policy:2026", "update:2027-01-04") keeps it once, however many schedulers run; nothing
    goes to staff until the DSL sends it from the brief flow."""

    __tablename__ = "briefing_drafts"
    __table_args__ = (UniqueConstraint("school_id", "key", name="uq_briefing_drafts_school_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    template: Mapped[str] = mapped_column(String(20))
    prepared_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(20))  # "waiting" or "declined"
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class FilteringCheckRequest(SchoolRecord, Base):
    """The scheduled ask to the ICT lead to run a filtering check, one per period (a half term,
    a term, a month, or six weeks): the unique `period` keeps it once, however many schedulers
    run (bot/monitoring/checks_schedule.py)."""

    __tablename__ = "filtering_check_requests"
    __table_args__ = (
        UniqueConstraint("school_id", "period", name="uq_filtering_check_requests_school_period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date] = mapped_column(Date)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class FilteringCheck(SchoolRecord, Base):
    """One recorded filtering check (DfE filtering and monitoring standards: check that filtering
    works, and record it). The results are codes, by test category; what was typed (the device,
    the location, the action taken) is sealed in `text_enc`."""

    __tablename__ = "filtering_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    checked_by: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(20))
    flow_version: Mapped[int] = mapped_column(Integer)
    user_group: Mapped[str] = mapped_column(String(48))  # the flow's option value
    test: Mapped[str] = mapped_column(String(48))  # the flow's option value
    # category id -> blocked | not_blocked | not_tested
    results: Mapped[dict[str, str]] = mapped_column(JSON)
    failed: Mapped[bool] = mapped_column(Boolean)
    text_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))


class FilteringReview(SchoolRecord, Base):
    """The year's review of filtering and monitoring (DfE standard): opened once per year (the
    unique year decides between two schedulers), answered in chat by the senior leader or the
    DSL, and made into the review document for governors (bot/monitoring/review.py)."""

    __tablename__ = "filtering_reviews"
    __table_args__ = (
        UniqueConstraint("school_id", "year", name="uq_filtering_reviews_school_year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    # The review year's records: from period_start up to (not including) period_end.
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The figures as they were when it opened: [{"key", "label", "value"}], numbers only.
    figures: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    answers_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20))  # open | completed
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(320))


class MonitoringAlert(SchoolRecord, Base):
    """One alert a monitoring provider sent (bot/monitoring): the provider's id for it, once.

    The unique key is the replay protection: the same alert sent again (by the provider's retry,
    or by someone who copied a signed request) is refused and stores nothing. Nothing of the
    alert's content is here: that is in its report, encrypted.
    """

    __tablename__ = "monitoring_alerts"
    __table_args__ = (UniqueConstraint("provider", "alert_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    alert_id: Mapped[str] = mapped_column(String(200))
    severity: Mapped[int] = mapped_column(Integer)  # bot.monitoring.provider_alert.Severity
    group_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_groups.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class MonitoringGroup(SchoolRecord, Base):
    """Repeated alerts of one provider for one account, category and hour: one report, a count.

    `group_key` is a keyed digest of the provider, the account, the category and the hour (the
    account is a pupil's login: never stored in the clear). Its unique key is what makes two
    processes that receive the first alert of a group at once file one report, not two.
    """

    __tablename__ = "monitoring_groups"
    __table_args__ = (
        UniqueConstraint("school_id", "group_key", name="uq_monitoring_groups_school_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_key: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(40))
    hour: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    count: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_at: Mapped[datetime] = mapped_column(UtcDateTime())
