"""The tables. Report text and pupil identifiers live only in encrypted columns (`*_enc`).

One declarative base and one metadata (storage.models.base) for every table, which the
migrations are checked against; the tables are in modules by what they hold, all imported here,
so `from storage.models import X` finds any of them and the metadata always has them all.
"""

from storage.models.base import Base, School, SchoolRecord, TrustSeal
from storage.models.cases import CoverRequest, Drill, SchoolClosure
from storage.models.monitoring import (
    FilteringCheck,
    FilteringCheckRequest,
    FilteringReview,
    MonitoringAlert,
    MonitoringGroup,
)
from storage.models.records import (
    ChannelAddress,
    Conversation,
    Event,
    EventChain,
    InboundMessage,
    Outbox,
    Person,
    RefusalTally,
    Report,
    SchoolChoice,
)
from storage.models.staff import (
    AuditCampaign,
    AuditMessage,
    AuditParticipant,
    BriefingDraft,
    TrainingRecord,
)
from storage.models.web import WebSession, WebSignIn

__all__ = [
    "AuditCampaign",
    "AuditMessage",
    "AuditParticipant",
    "Base",
    "BriefingDraft",
    "ChannelAddress",
    "Conversation",
    "CoverRequest",
    "Drill",
    "Event",
    "EventChain",
    "FilteringCheck",
    "FilteringCheckRequest",
    "FilteringReview",
    "InboundMessage",
    "MonitoringAlert",
    "MonitoringGroup",
    "Outbox",
    "Person",
    "RefusalTally",
    "Report",
    "School",
    "SchoolChoice",
    "SchoolClosure",
    "SchoolRecord",
    "TrainingRecord",
    "TrustSeal",
    "WebSession",
    "WebSignIn",
]
