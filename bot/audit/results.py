"""A campaign's progress and results: counts, every "No" as a training need, the comments. Their
CSV and the governors' summary are in bot/audit/exports.py.

Who counts where:

- invited: everyone asked in the campaign (a participant row), whatever became of the message;
- sent: those whose invitation was delivered (their "invite" message is "sent");
- started: those who began the audit (status "started" or "finished": finished counts as
  started too);
- finished: those who finished it. Only their answers are counted in the results; those who
  started but did not finish are reported as a number, and nothing they answered is shown.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit.questions import (
    NEEDS_STEP,
    AuditQuestion,
    needs_prompt,
    open_answers,
    questions,
)
from storage.crypto import Cipher
from storage.models import AuditCampaign, AuditMessage, AuditParticipant

YES = "yes"
NO = "no"

NEEDS_PROMPT_DEFAULT = (
    "Are there any areas of online safety in which you would like training/further training?"
)

# A written answer to the training question that means "no training wanted" (compared after
# lower-casing and dropping punctuation); anything else is read as a request.
_NO_NEED_WORDS = frozenset(
    {
        "",
        "no",
        "none",
        "na",
        "n a",
        "nil",
        "nothing",
        "no thanks",
        "no thank you",
        "none thanks",
        "none thank you",
        "not at the moment",
        "none at the moment",
        "not at present",
        "none at present",
        "not currently",
        "none currently",
        "not really",
    }
)


class CampaignNotFound(LookupError):
    """No campaign has that id."""


# --- Progress


@dataclass(frozen=True)
class Progress:
    """How far a group of staff got. See the module docstring for what each count means."""

    invited: int = 0
    sent: int = 0
    undelivered: int = 0  # the invitation could not be delivered (given up on)
    started: int = 0
    finished: int = 0

    @property
    def not_started(self) -> int:
        return self.invited - self.started

    def __add__(self, other: Progress) -> Progress:
        return Progress(
            self.invited + other.invited,
            self.sent + other.sent,
            self.undelivered + other.undelivered,
            self.started + other.started,
            self.finished + other.finished,
        )


@dataclass(frozen=True)
class AuditStatus:
    campaign_id: int
    academic_year: str
    started_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    total: Progress
    by_channel: dict[str, Progress] = field(default_factory=dict)  # channel -> progress


async def campaign_status(session: AsyncSession, campaign_id: int) -> AuditStatus:
    """Who was asked, whose invitation arrived, who started and who finished, per channel."""
    campaign = await _campaign(session, campaign_id)
    invites = (
        await session.execute(
            select(AuditMessage.participant_id, AuditMessage.status).where(
                AuditMessage.campaign_id == campaign_id, AuditMessage.kind == "invite"
            )
        )
    ).all()
    sent = {participant for participant, status in invites if status == "sent"}
    dead = {participant for participant, status in invites if status == "dead"} - sent
    rows = (
        await session.execute(
            select(AuditParticipant.id, AuditParticipant.channel, AuditParticipant.status).where(
                AuditParticipant.campaign_id == campaign_id
            )
        )
    ).all()
    by_channel: dict[str, Progress] = {}
    for participant, channel, status in rows:
        one = Progress(
            invited=1,
            sent=int(participant in sent),
            undelivered=int(participant in dead),
            started=int(status in {"started", "finished"}),
            finished=int(status == "finished"),
        )
        by_channel[channel] = by_channel.get(channel, Progress()) + one
    total = sum(by_channel.values(), Progress())
    return AuditStatus(
        campaign_id=campaign.id,
        academic_year=campaign.academic_year,
        started_at=campaign.started_at,
        closes_at=campaign.closes_at,
        closed_at=campaign.closed_at,
        total=total,
        by_channel=dict(sorted(by_channel.items())),
    )


# --- Results


@dataclass(frozen=True)
class QuestionCount:
    """One question's answers among those who finished."""

    number: int  # 1-based, in the order asked
    question: AuditQuestion
    yes: int
    no: int
    unanswered: int


@dataclass(frozen=True)
class Answer:
    number: int
    question: AuditQuestion
    value: str | None  # "yes" | "no" | None (not answered)
    comment: str | None


@dataclass(frozen=True)
class Respondent:
    """One person who finished, with everything they answered."""

    name: str
    email: str
    channel: str
    finished_at: datetime | None
    answers: tuple[Answer, ...]
    training_text: str | None  # their answer to the training question, as written (or None)

    @property
    def needs(self) -> tuple[str, ...]:
        """The label of every question they answered "No"."""
        return tuple(a.question.label for a in self.answers if a.value == NO)

    @property
    def training_request(self) -> str | None:
        """What they asked for training in, unless they wrote "none" or the like."""
        return self.training_text if wants_training(self.training_text) else None


@dataclass(frozen=True)
class Comment:
    name: str
    email: str
    number: int
    label: str  # the question's short name
    text: str


@dataclass(frozen=True)
class TrainingNeeds:
    """One person's needs: every "No" (named by the question's label) and their own request."""

    name: str
    email: str
    topics: tuple[str, ...]
    request: str | None


@dataclass(frozen=True)
class WrittenNeed:
    name: str
    email: str
    text: str


@dataclass(frozen=True)
class AuditResults:
    campaign_id: int
    academic_year: str
    closed_at: datetime | None  # None: the campaign is still open, these are results so far
    questions: tuple[AuditQuestion, ...]
    needs_prompt: str
    invited: int
    finished: int
    unfinished: int  # started but not finished: not counted anywhere below
    not_started: int
    counts: tuple[QuestionCount, ...]
    respondents: tuple[Respondent, ...]  # those who finished, by name
    comments: tuple[Comment, ...]
    training_needs: tuple[TrainingNeeds, ...]  # only people with at least one need
    written_needs: tuple[WrittenNeed, ...]


async def campaign_results(session: AsyncSession, cipher: Cipher, campaign_id: int) -> AuditResults:
    """The answers of everyone who finished, counted and listed, for the DSL."""
    campaign = await _campaign(session, campaign_id)
    asked = questions(campaign.flow_spec)
    people = (
        await session.scalars(
            select(AuditParticipant).where(AuditParticipant.campaign_id == campaign_id)
        )
    ).all()
    finished = sorted(
        (p for p in people if p.status == "finished"),
        key=lambda p: (p.display_name.casefold(), p.email.casefold()),
    )
    unfinished = sum(1 for p in people if p.status == "started")
    respondents = tuple(_respondent(cipher, asked, p) for p in finished)
    counts = []
    for number, question in enumerate(asked, start=1):
        tally = Counter(r.answers[number - 1].value for r in respondents)
        counts.append(
            QuestionCount(number, question, yes=tally[YES], no=tally[NO], unanswered=tally[None])
        )
    comments = tuple(
        Comment(r.name, r.email, a.number, a.question.label, a.comment)
        for r in respondents
        for a in r.answers
        if a.comment
    )
    needs = tuple(
        TrainingNeeds(r.name, r.email, r.needs, r.training_request)
        for r in respondents
        if r.needs or r.training_request
    )
    written = tuple(
        WrittenNeed(r.name, r.email, r.training_request)
        for r in respondents
        if r.training_request is not None
    )
    return AuditResults(
        campaign_id=campaign.id,
        academic_year=campaign.academic_year,
        closed_at=campaign.closed_at,
        questions=tuple(asked),
        needs_prompt=needs_prompt(campaign.flow_spec) or NEEDS_PROMPT_DEFAULT,
        invited=len(people),
        finished=len(respondents),
        unfinished=unfinished,
        not_started=len(people) - len(respondents) - unfinished,
        counts=tuple(counts),
        respondents=respondents,
        comments=comments,
        training_needs=needs,
        written_needs=written,
    )


def wants_training(text: str | None) -> bool:
    """Whether a written answer to the training question asks for something ("none" does not)."""
    if text is None:
        return False
    words = " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())
    return words not in _NO_NEED_WORDS


def percent(part: int, whole: int) -> int:
    """A whole-number percentage, halves rounded up; 0 of nothing is 0."""
    return (200 * part + whole) // (2 * whole) if whole else 0


def _respondent(cipher: Cipher, asked: list[AuditQuestion], row: AuditParticipant) -> Respondent:
    values = open_answers(cipher, row)
    answers = tuple(
        Answer(
            number=number,
            question=question,
            value=_yes_no(values.get(question.step_id)),
            comment=_text(values.get(question.comment_step)) if question.comment_step else None,
        )
        for number, question in enumerate(asked, start=1)
    )
    return Respondent(
        name=row.display_name,
        email=row.email,
        channel=row.channel,
        finished_at=row.finished_at,
        answers=answers,
        training_text=_text(values.get(NEEDS_STEP)),
    )


def _yes_no(value: object) -> str | None:
    text = str(value).strip().casefold() if value is not None else ""
    return text if text in {YES, NO} else None


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None


async def _campaign(session: AsyncSession, campaign_id: int) -> AuditCampaign:
    campaign = await session.get(AuditCampaign, campaign_id)
    if campaign is None or campaign.kind != "audit":  # a briefing has its own report
        raise CampaignNotFound(f"no audit campaign {campaign_id}")
    return campaign
