"""A report flow's `offer:` (dialogs/model.py OfferSpec), checked against the flow it starts
once every flow is loaded: the bot refuses to start with an offer it could not make, naming the
file, rather than fail when a reporter presses the button."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dialogs.errors import FlowError
from dialogs.model import FlowSpec

_VALUED = {"choice", "multi_choice", "yes_no", "confirm"}


def check_offers(flows: Mapping[str, tuple[FlowSpec, Path]]) -> None:
    for spec, path in flows.values():
        offer = spec.offer
        if offer is None:
            continue
        target = flows.get(offer.flow)
        if target is None or target[0].purpose != "report":
            raise FlowError(f"{path}: offer.flow: there is no report flow {offer.flow!r}")
        other = target[0]
        # A step the other flow does not have (a school removed it from its own copy) is
        # simply not filled in: the offer still works.
        for step_id, value in offer.given.items():
            if not other.has_step(step_id):
                continue
            step = other.step(step_id)
            if step.kind in _VALUED and value not in step.values():
                raise FlowError(
                    f"{path}: offer.given.{step_id}: the step {step_id!r} of {other.id!r} never "
                    f"answers {value!r} (its values are {', '.join(sorted(step.values()))})"
                )
        for target_id, source_id in offer.carry.items():
            if not other.has_step(target_id):
                continue
            mine, theirs = spec.step(source_id), other.step(target_id)
            if mine.kind != theirs.kind and {mine.kind, theirs.kind} != {"text", "person"}:
                raise FlowError(
                    f"{path}: offer.carry.{target_id}: {source_id!r} is a {mine.kind} step but "
                    f"{target_id!r} of {other.id!r} is a {theirs.kind} step"
                )
