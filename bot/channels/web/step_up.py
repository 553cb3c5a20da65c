"""The second step before a case is opened in the web chat: a case handler whose sign-in at the
school's provider is older than the step-up time is asked to sign in again before a case's
View or Export button is answered (the downloads are checked in export_routes.py)."""

from __future__ import annotations

from typing import Any

from bot.channels.web.oidc.routes import step_up_location
from bot.delivery.messages import Inbound
from bot.delivery.school_tags import TRUST_VIEW, untag_value

# The buttons that show a case's details and chronology, or hand them over.
_OPENING = ("case:view:", "case:export:", TRUST_VIEW)
SIGN_IN_AGAIN_FIRST = (
    "To open a case, please sign in again with your school account first (it has been a while "
    "since you did). Then press the case's button again: nothing you were doing is lost."
)
SIGN_IN_AGAIN = "Sign in again"


def opens_case(inbound: Inbound) -> bool:
    """Whether the click opens a case: a school's View or Export button (in a trust's
    deployment it says its school first: bot/delivery/school_tags.py), or the trust lead's
    View of a school's case."""
    if not inbound.value:
        return False
    tagged = untag_value(inbound.value)
    value = inbound.value if tagged is None else tagged[1]
    return value.startswith(_OPENING)


def step_up_frame(reply_to: str | None) -> dict[str, Any]:
    """The answer instead: what to do, and the way to do it (back to the chat afterwards)."""
    notice = {
        "kind": "notice",
        "tone": "info",
        "text": SIGN_IN_AGAIN_FIRST,
        "link": {"url": step_up_location("/"), "label": SIGN_IN_AGAIN},
    }
    return {"type": "messages", "items": [notice], "reply_to": reply_to}
