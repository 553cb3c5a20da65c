"""The briefings a DSL can start from instead of writing one: the school's online safety
policy, KCSIE Part One, and a termly online-safety update. Each fills in the brief flow's
answers (dialogs/flows/brief.yaml: title, text, link); what it cannot know (the policy's link
when the school file has none, what is new this term) is asked as for a briefing of their own."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from bot.school.config import SchoolConfig
from bot.words import strings

TEMPLATE_STEP: Final = "template"  # the brief flow's first step
OWN: Final = "own"
POLICY: Final = "policy"
KCSIE: Final = "kcsie"
UPDATE: Final = "update"
TEMPLATES: Final = (POLICY, KCSIE, UPDATE)
# The DfE's page for Keeping children safe in education (its current edition and Part One).
KCSIE_URL: Final = (
    "https://www.gov.uk/government/publications/keeping-children-safe-in-education--2"
)


def answers(template: str, school: SchoolConfig, now: datetime) -> dict[str, str]:
    """The brief flow's answers the template fills in (with the template step itself)."""
    filled = {TEMPLATE_STEP: template}
    if template == POLICY:
        filled |= {"title": strings.BRIEFING_POLICY_TITLE, "text": strings.BRIEFING_POLICY_TEXT}
        if school.briefings.policy_url:
            filled["link"] = school.briefings.policy_url
    elif template == KCSIE:
        filled |= {
            "title": strings.BRIEFING_KCSIE_TITLE,
            "text": strings.BRIEFING_KCSIE_TEXT,
            "link": KCSIE_URL,
        }
    elif template == UPDATE:
        local = now.astimezone(school.tz)
        filled["title"] = strings.BRIEFING_UPDATE_TITLE.format(month=local.strftime("%B %Y"))
    return filled
