"""The dialog engine's words in the catalogue's language: what it says and the commands it takes."""

from __future__ import annotations

from dataclasses import replace

from bot.words import strings
from dialogs.strings import ENGLISH, Words


def dialog_words() -> Words:
    """A `Words` from bot/words (its texts are DIALOG_WORDS, its commands the *_WORDS lists)."""
    return replace(
        ENGLISH,
        **strings.DIALOG_WORDS,
        back_words=strings.BACK_WORDS,
        cancel_words=strings.CANCEL_WORDS,
        help_words=strings.HELP_WORDS,
        skip_words=strings.SKIP_WORDS,
        submit_words=strings.SUBMIT_WORDS,
        change_words=strings.CHANGE_WORDS,
        cancel_yes_words=strings.CANCEL_YES_WORDS,
        cancel_no_words=strings.CANCEL_NO_WORDS,
        yes_words=strings.YES_WORDS,
        no_words=strings.NO_WORDS,
    )


DIALOG_WORDS = dialog_words()
