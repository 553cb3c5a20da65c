"""The bot's words outside the flows: `strings.NAME` is entry NAME of bot/words/en.yaml."""

from collections.abc import Mapping

from bot.words.catalogue import CatalogueError, load

ENGLISH = load("en")

# The entries that are not texts, typed; every other `strings.NAME` is a text (`__getattr__`).
URGENT_REASONS: Mapping[str, str] = ENGLISH.table("URGENT_REASONS")
EVENT_LABELS: Mapping[str, str] = ENGLISH.table("EVENT_LABELS")
TEAMS_FILE_AGAIN: Mapping[str, str] = ENGLISH.table("TEAMS_FILE_AGAIN")
TEAMS_FILE_GONE: Mapping[str, str] = ENGLISH.table("TEAMS_FILE_GONE")
AUDIT_CHANNEL_NAMES: Mapping[str, str] = ENGLISH.table("AUDIT_CHANNEL_NAMES")
TRAINING_KINDS: Mapping[str, str] = ENGLISH.table("TRAINING_KINDS")
TRAINING_MISSING: Mapping[str, str] = ENGLISH.table("TRAINING_MISSING")
TRAINING_DUE_KINDS: Mapping[str, str] = ENGLISH.table("TRAINING_DUE_KINDS")
DIALOG_WORDS: Mapping[str, str] = ENGLISH.table("DIALOG_WORDS")
# What someone may type for a command, lower case.
HELP_WORDS: frozenset[str] = ENGLISH.words("HELP_WORDS")
CASES_WORDS: frozenset[str] = ENGLISH.words("CASES_WORDS")
MINE_WORDS: frozenset[str] = ENGLISH.words("MINE_WORDS")
LOW_LEVEL_WORDS: frozenset[str] = ENGLISH.words("LOW_LEVEL_WORDS")
ON_CALL_WORDS: frozenset[str] = ENGLISH.words("ON_CALL_WORDS")
STATS_WORDS: frozenset[str] = ENGLISH.words("STATS_WORDS")
CLOSURE_WORDS: frozenset[str] = ENGLISH.words("CLOSURE_WORDS")
CLOSURE_LIST_WORDS: frozenset[str] = ENGLISH.words("CLOSURE_LIST_WORDS")
CLOSURE_REMOVE_WORDS: frozenset[str] = ENGLISH.words("CLOSURE_REMOVE_WORDS")
SUMMARY_WORDS: frozenset[str] = ENGLISH.words("SUMMARY_WORDS")
COVER_WORDS: frozenset[str] = ENGLISH.words("COVER_WORDS")
COVER_CANCEL_WORDS: frozenset[str] = ENGLISH.words("COVER_CANCEL_WORDS")
DRILL_WORDS: frozenset[str] = ENGLISH.words("DRILL_WORDS")
DRILL_RESULTS_WORDS: frozenset[str] = ENGLISH.words("DRILL_RESULTS_WORDS")
BRIEF_WORDS: frozenset[str] = ENGLISH.words("BRIEF_WORDS")
BRIEFINGS_WORDS: frozenset[str] = ENGLISH.words("BRIEFINGS_WORDS")
BACK_WORDS: frozenset[str] = ENGLISH.words("BACK_WORDS")
CANCEL_WORDS: frozenset[str] = ENGLISH.words("CANCEL_WORDS")
SWITCH_SCHOOL_WORDS: frozenset[str] = ENGLISH.words("SWITCH_SCHOOL_WORDS")
SKIP_WORDS: frozenset[str] = ENGLISH.words("SKIP_WORDS")
SUBMIT_WORDS: frozenset[str] = ENGLISH.words("SUBMIT_WORDS")
CHANGE_WORDS: frozenset[str] = ENGLISH.words("CHANGE_WORDS")
CANCEL_YES_WORDS: frozenset[str] = ENGLISH.words("CANCEL_YES_WORDS")
CANCEL_NO_WORDS: frozenset[str] = ENGLISH.words("CANCEL_NO_WORDS")
YES_WORDS: frozenset[str] = ENGLISH.words("YES_WORDS")
NO_WORDS: frozenset[str] = ENGLISH.words("NO_WORDS")
# `monitoring stats` (bot/monitoring/stats.py): its words, and the severities' names.
MONITORING_STATS_WORDS: frozenset[str] = ENGLISH.words("MONITORING_STATS_WORDS")
MONITORING_SEVERITY_NAMES: Mapping[str, str] = ENGLISH.table("MONITORING_SEVERITY_NAMES")


def __getattr__(name: str) -> str:
    """A text of the catalogue: a name it does not have raises AttributeError."""
    return ENGLISH.text(name)


_UNTYPED = {n for n, v in ENGLISH.entries.items() if not isinstance(v, str)} - set(globals())
if _UNTYPED:
    raise CatalogueError(f"en.yaml: declare these in bot/words/strings.py: {sorted(_UNTYPED)}")
