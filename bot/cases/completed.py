"""What a completed case flow does to its case: one service call per action, with the answers
the flow gave (the steps read here are checked when the flow loads, for each action:
CASE_ACTION_STEPS in dialogs/purposes.py). The person's role was checked just before."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import service as cases
from bot.cases.alerts import AlertDesk
from bot.cases.labels import CLOSE_ANSWERS
from dialogs.model import CaseAction
from dialogs.purposes import RECATEGORISE_STEPS
from storage.models import Report

# The answers an action asks only sometimes, sealed with its details.
_ACTION_FOLLOW_UPS = ("authorised_by", "parents_not_why")
# The closing's texts besides the outcome and the reasons, sealed with them.
_CLOSE_TEXTS = ("no_referral_reason", "child_views", "support", "child_dob")


async def record(
    session: AsyncSession,
    desk: AlertDesk,
    *,
    action: CaseAction,
    report: Report,
    email: str,
    answers: Mapping[str, Any],
    now: datetime,
) -> bool:
    """Record the flow's answers on the case; False when they changed nothing (a category
    changed to the one it already had)."""
    if action == "note":
        await cases.add_note(
            session, desk, report=report, email=email, text=answers["note"], now=now
        )
    elif action == "action":
        await cases.record_action(
            session,
            desk,
            report=report,
            email=email,
            action=answers["action"],
            details=answers["details"],
            done_at=answers["done_at"],
            now=now,
            follow_ups=_given(answers, _ACTION_FOLLOW_UPS),
        )
    elif action == "close":
        await cases.close_case(
            session,
            desk,
            report=report,
            email=email,
            decision=list(answers["decision"]),
            outcome=answers["outcome"],
            reasons=answers["reasons"],
            criteria=list(answers.get("referral_criteria") or []),
            now=now,
            answers=_given(answers, CLOSE_ANSWERS),
            texts=_given(answers, _CLOSE_TEXTS),
        )
    elif action == "reopen":
        await cases.reopen_case(
            session, desk, report=report, email=email, reason=answers["reason"], now=now
        )
    elif action == "recategorise":
        category = next(str(answers[s]) for s in RECATEGORISE_STEPS if answers.get(s))
        return await cases.recategorise(
            session,
            desk,
            report=report,
            email=email,
            category=category,
            reason=answers["reason"],
            now=now,
        )
    return True


def _given(answers: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    return {key: str(answers[key]) for key in keys if answers.get(key) not in (None, "")}
