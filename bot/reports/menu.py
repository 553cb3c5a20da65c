"""The main menu: what someone can do when no report is under way. The router shows it after a
turn; the reporter's confirmation, delivered through the outbox, ends with it too."""

from __future__ import annotations

from collections.abc import Iterable

from bot.delivery.messages import Option, Question
from bot.school.config import SchoolConfig
from bot.words import strings
from dialogs.loader import Flow

START = "start:"
# A confirmation's offer to start another report, linked (a report flow's `offer:`):
# offer:<the sent report's reference>. The router checks it is the reporter's own.
OFFER = "offer:"


def main_menu(
    school: SchoolConfig, flows: Iterable[Flow], email: str, *, again: bool, name: str = ""
) -> Question:
    """The menu for this person: a button per kind of report, their cases if they handle them."""
    text = strings.MENU_AGAIN if again else strings.MENU.format(name=name or "there")
    options = [Option(f"{START}{f.id}", f.spec.title) for f in flows if f.spec.purpose == "report"]
    if school.handles_cases(email):
        options.append(Option("__cases", strings.OPEN_CASES_OPTION))
    options += [
        Option("__mine", strings.MY_REPORTS_OPTION),
        Option("help", strings.HELP_OPTION),
    ]
    return Question(step_id=None, input="menu", text=text, options=tuple(options))
