"""The engine's own words (the flows bring everything else): English here, as the constants and
as `ENGLISH`; a Dialog takes a `Words` in another language (the bot builds one from its catalogue,
bot/chat/vocabulary.py), since nothing in dialogs/ reads the bot's files."""

from dataclasses import dataclass

BACK = "Back"
SKIP = "Skip"
CANCEL = "Cancel"
HELP = "Help"
CHANGE = "Change"
NOT_ANSWERED = "(not answered)"
YES = "Yes"
NO = "No"
UNDERSTOOD = "I understand"

HELP_COMMANDS = (
    'You can type "back" to go to the previous question, "cancel" to stop, and "help" to see '
    "this again. Before sending, you can change any answer."
)
AT_FIRST_QUESTION = "This is the first question, so there is nothing to go back to."
CANCEL_QUESTION = "Do you want to cancel this report? Your answers so far will be deleted."
CANCEL_QUESTION_URGENT = (
    "Do you want to stop here? This report is marked urgent, so the record of that stays with "
    "the DSL; only your unfinished answers are discarded."
)
CANCEL_KEEP = "No, carry on"
CANCEL_CONFIRM = "Yes, cancel"
CANCELLED = "Cancelled. Nothing was sent. You can start again at any time."
CANCELLED_URGENT = (
    "Stopped. The DSL still has the urgent record. If anyone is in immediate danger, call 999 now."
)
CARRY_ON = "OK, let's carry on."
SUMMARY_TEXT = "Please check your answers. You can change any of them before sending."
SUMMARY_NUDGE = 'Press "{submit}" to send, "Change" to change an answer, or "Cancel".'

CANNOT_SKIP = "This question can't be skipped: the DSL needs an answer. Please type one."
NEED_ANSWER = "This question needs an answer. Please type one, or press a button."
NEED_CHOICE = "Please choose one of the options: press a button or type its number."
NEED_CHOICES = "Please choose at least one option, then press Done (or type their numbers: 1, 3)."
UNKNOWN_CHOICE = "{value!r} is not one of the options here. Please choose one of the buttons."
NEED_YES_NO = 'Please answer "yes" or "no".'
# What becomes of the text is each channel's to say (the web chat puts it back in the box).
TOO_LONG = "That is {length:,} characters; the limit here is {limit:,}. Please shorten it."
BAD_DATE = (
    'Sorry, I could not read {text!r} as a date or time. Try "now", "today 10:15", "yesterday", '
    "or a date like 24/11/2026 14:30."
)
FUTURE_DATE = "That is in the future. Please give the date and time when it happened."
NO_SUCH_ANSWER = "There is no answer called {name!r} to change. Press a Change button instead."

# A person step: the answer is someone from the school's list, or what the reporter typed.
SOMEONE_ELSE = "Someone not on this list"
TYPE_THE_PERSON = (
    'Please type their name and role as your answer, for example "J Smith, supply teacher".'
)
UNKNOWN_PERSON = (
    "That person is not on the school's list any more. Please start typing their name again, "
    'or choose "Someone not on this list" and type their name and role.'
)
CHANGE_ROW = "Change {label}"


@dataclass(frozen=True)
class Words:
    """What the engine says, and the words it takes as commands, in one language.

    A button sends its own value (`__back`, `__cancel`, ...); these are what someone may type.
    """

    back: str = BACK
    skip: str = SKIP
    cancel: str = CANCEL
    help: str = HELP
    change: str = CHANGE
    not_answered: str = NOT_ANSWERED
    yes: str = YES
    no: str = NO
    understood: str = UNDERSTOOD
    help_commands: str = HELP_COMMANDS
    at_first_question: str = AT_FIRST_QUESTION
    cancel_question: str = CANCEL_QUESTION
    cancel_question_urgent: str = CANCEL_QUESTION_URGENT
    cancel_keep: str = CANCEL_KEEP
    cancel_confirm: str = CANCEL_CONFIRM
    cancelled: str = CANCELLED
    cancelled_urgent: str = CANCELLED_URGENT
    carry_on: str = CARRY_ON
    summary_text: str = SUMMARY_TEXT
    summary_nudge: str = SUMMARY_NUDGE
    cannot_skip: str = CANNOT_SKIP
    need_answer: str = NEED_ANSWER
    need_choice: str = NEED_CHOICE
    need_choices: str = NEED_CHOICES
    unknown_choice: str = UNKNOWN_CHOICE
    need_yes_no: str = NEED_YES_NO
    too_long: str = TOO_LONG
    bad_date: str = BAD_DATE
    future_date: str = FUTURE_DATE
    no_such_answer: str = NO_SUCH_ANSWER
    someone_else: str = SOMEONE_ELSE
    type_the_person: str = TYPE_THE_PERSON
    unknown_person: str = UNKNOWN_PERSON
    change_row: str = CHANGE_ROW
    back_words: frozenset[str] = frozenset({"back"})
    cancel_words: frozenset[str] = frozenset({"cancel", "stop"})
    help_words: frozenset[str] = frozenset({"help", "?"})
    skip_words: frozenset[str] = frozenset({"skip"})
    submit_words: frozenset[str] = frozenset({"send", "send report", "submit", "confirm"})
    # At the summary, before a row's number or label (one word each)
    change_words: frozenset[str] = frozenset({"change", "edit"})
    # "Do you want to cancel this report?" (cancel_words and back_words also answer it)
    cancel_yes_words: frozenset[str] = frozenset({"yes", "y"})
    cancel_no_words: frozenset[str] = frozenset({"no", "n"})
    # A yes/no question's answer, typed
    yes_words: frozenset[str] = frozenset({"yes", "y", "yeah", "yep"})
    no_words: frozenset[str] = frozenset({"no", "n", "nope"})


ENGLISH = Words()
