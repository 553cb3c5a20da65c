"""The bot's words, one YAML catalogue per language: `en.yaml` here, `cy.yaml` beside it later.

Why YAML and not gettext catalogues (Babel): every text is a named template with `{fields}`
(`SUBMITTED: Sent. Your reference is {reference}. ...`), not an English sentence used as its own
key, so a name-keyed file says what each text is for; schools already edit YAML (the flows);
and a YAML file needs no compile step (`.po` to `.mo`) and no new dependency. A language file
holds the same names as `en.yaml` with the same `{fields}` in each (tests/words checks it).

An entry is one of three shapes:
  a text (a `str.format` template),
  a table (`code: text`, for example the label of each chronology event),
  a vocabulary list (the words someone may type for a command: `HELP_WORDS: [help, "?"]`).

Services do not choose their words: they return data (codes, counts, dates) and the chat layer
(or a message's builder) words it from here. The engine in dialogs/ imports nothing of ours, so
the bot hands it its words when it builds a Dialog.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml

FOLDER = Path(__file__).parent
DEFAULT_LANGUAGE = "en"

Entry = str | Mapping[str, str] | tuple[str, ...]


class CatalogueError(Exception):
    """A language file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Catalogue:
    language: str
    entries: Mapping[str, Entry]

    def text(self, name: str) -> str:
        value = self._entry(name)
        if not isinstance(value, str):
            raise CatalogueError(f"{self.language}.yaml: {name} is not a text")
        return value

    def table(self, name: str) -> Mapping[str, str]:
        value = self._entry(name)
        if not isinstance(value, Mapping):
            raise CatalogueError(f"{self.language}.yaml: {name} is not a table (code: text)")
        return value

    def words(self, name: str) -> frozenset[str]:
        """A vocabulary list, as the lower-case words a typed command is compared with."""
        value = self._entry(name)
        if not isinstance(value, tuple):
            raise CatalogueError(f"{self.language}.yaml: {name} is not a list of words")
        return frozenset(word.casefold() for word in value)

    def _entry(self, name: str) -> Entry:
        try:
            return self.entries[name]
        except KeyError:
            raise AttributeError(f"{self.language}.yaml has no entry {name!r}") from None


def languages() -> list[str]:
    """The languages that have a file here."""
    return sorted(path.stem for path in FOLDER.glob("*.yaml"))


def load(language: str = DEFAULT_LANGUAGE) -> Catalogue:
    """The catalogue of one language, checked: every entry a text, a table or a list of words."""
    path = FOLDER / f"{language}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path.name}: expected name: text entries")
    return Catalogue(language, {name: _entry(path, name, value) for name, value in raw.items()})


def fields(template: str) -> frozenset[str]:
    """The names of a template's `{fields}` (`{limit:,}` is `limit`)."""
    return frozenset(
        name.split(".")[0].split("[")[0]
        for _, name, _, _ in string.Formatter().parse(template)
        if name is not None
    )


def entry_fields(entry: Entry) -> dict[str, frozenset[str]]:
    """The fields of an entry's texts, by where they are: "" for a text, its codes for a table."""
    if isinstance(entry, str):
        return {"": fields(entry)}
    if isinstance(entry, Mapping):
        return {code: fields(text) for code, text in entry.items()}
    return {}


def _entry(path: Path, name: object, value: object) -> Entry:
    if not isinstance(name, str):
        raise CatalogueError(f"{path.name}: {name!r} is not a name")
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return MappingProxyType(dict(value))
    if isinstance(value, list) and all(isinstance(word, str) for word in value):
        return tuple(value)
    raise CatalogueError(f"{path.name}: {name} should be a text, a table of texts or a word list")
