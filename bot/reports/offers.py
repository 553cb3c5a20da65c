"""A sent report's offer (its flow's `offer:`, dialogs/model.py OfferSpec): whether it stands,
and the answers it fills in. The confirmation shows it and the router takes it by the same
rule, so a button is never shown that pressing would refuse, nor taken that was never shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.loader import Flow
from dialogs.model import OfferSpec
from storage.models import Report


def open_offer(flow: Flow | None, report: Report, answers: Mapping[str, Any]) -> OfferSpec | None:
    """The offer of the flow `report` was sent with, while the report is linked to nothing yet
    and its answers call for it (None otherwise)."""
    if flow is None or flow.offer is None or flow.spec.offer is None:
        return None
    if report.linked_report_id is not None or not flow.offer.evaluate(answers):
        return None
    return flow.spec.offer


def answers_filled_in(offer: OfferSpec, answers: Mapping[str, Any]) -> dict[str, Any]:
    """What the offered flow starts with: the carried answers given, then the fixed values."""
    filled = {target: answers[step] for target, step in offer.carry.items() if step in answers}
    return {**filled, **offer.given}
