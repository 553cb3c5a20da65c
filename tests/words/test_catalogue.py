"""The words catalogues: every language file matches en.yaml, and the code asks only for what
en.yaml has, with the fields its templates name."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from bot.words import catalogue, strings
from bot.words.catalogue import CatalogueError, entry_fields, fields
from bot.words.vocabulary import DIALOG_WORDS, dialog_words
from dialogs.strings import ENGLISH, Words
from tests.support.parsing import parse

SOURCES = ("bot", "dialogs", "scheduler", "storage", "tests", "bench")


def _python_files() -> Iterator[Path]:
    for folder in SOURCES:
        yield from sorted((PROJECT_ROOT / folder).rglob("*.py"))


def _uses(tree: ast.Module) -> Iterator[ast.Attribute]:
    """Every `strings.NAME` of a module that imports bot/words/strings.py as `strings`."""
    bound = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "bot.words"
        and any(a.name == "strings" and a.asname in (None, "strings") for a in node.names)
        for node in ast.walk(tree)
    )
    if not bound:
        return
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "strings"
            and node.attr.isupper()
        ):
            yield node


@cache
def _parsed() -> list[tuple[Path, ast.Module]]:
    """Every module that could import `strings` (its text names it), parsed: the others cannot
    use it, and parsing all of them took most of these tests' time."""
    texts = ((path, path.read_text(encoding="utf-8")) for path in _python_files())
    return [(path, parse(text)) for path, text in texts if "strings" in text]


def test_every_language_loads_with_the_names_and_fields_of_english() -> None:
    english = catalogue.load("en")
    assert "en" in catalogue.languages()
    for language in catalogue.languages():
        other = catalogue.load(language)
        assert set(other.entries) == set(english.entries), language
        for name, entry in english.entries.items():
            theirs = other.entries[name]
            assert type(theirs) is type(entry), (language, name)
            assert entry_fields(theirs) == entry_fields(entry), (language, name)


def test_every_name_the_code_uses_is_in_the_catalogue() -> None:
    used = set()
    for path, tree in _parsed():
        for node in _uses(tree):
            used.add(node.attr)
            assert hasattr(strings, node.attr), f"{path}:{node.lineno}: strings.{node.attr}"
    assert len(used) > 130


def test_the_code_formats_each_template_with_exactly_its_fields() -> None:
    checked = 0
    for path, tree in _parsed():
        uses = {id(node) for node in _uses(tree)}
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "format"
                and id(node.func.value) in uses
            ):
                continue
            assert isinstance(node.func.value, ast.Attribute)
            name = node.func.value.attr
            given = {k.arg for k in node.keywords}
            assert None not in given, f"{path}:{node.lineno}: **kwargs"
            assert given == fields(getattr(strings, name)), f"{path}:{node.lineno}: {name}"
            checked += 1
    assert checked > 45


def test_the_texts_are_the_ones_the_bot_always_said() -> None:
    assert strings.MENU == "Hello {name}. What would you like to do?"
    assert strings.NOT_UNDERSTOOD == "Sorry, I didn't understand that. Please choose one of these:"
    assert strings.SUBMITTED_URGENT == (
        "Sent. Your reference is {reference}, marked URGENT. If anyone is still in immediate "
        "danger, call 999 now."
    )
    assert strings.URGENT_TITLE == "URGENT ({reason}): "
    assert strings.TEAMS_URGENT == "🚨 Urgent"
    assert strings.TEAMS_CONTINUED == " (continued)"
    assert strings.TEAMS_UP_TO == "Up to {limit:,} characters."
    assert strings.URGENT_REASONS["possibly_illegal"] == "possibly illegal material: do not open"
    assert strings.EVENT_LABELS["report_resealed"] == (
        "sealed the report again under a new encryption key"
    )
    assert strings.TEAMS_FILE_GONE["case_chronology"] == (
        "That file can no longer be made (its case could not be found), so nothing was saved "
        "to your OneDrive."
    )
    assert strings.AUDIT_COMMANDS == (
        'Self-audit commands: "audit start" (starts this academic year\'s self-audit, once), '
        '"audit status", "audit results" and "audit summary" (for governors: numbers only).'
    )
    assert fields(strings.REFUSED_REPEATS) == {"action", "repeats", "first", "last"}
    assert fields(strings.REVIEW_DUE) == {"reference", "closed", "years"}


def test_a_name_not_in_the_catalogue_fails_loudly() -> None:
    with pytest.raises(AttributeError, match="SUBMITED"):
        getattr(strings, "SUBMITED")  # noqa: B009 (spelt out, the check above would refuse it)
    with pytest.raises(CatalogueError, match="URGENT_REASONS is not a text"):
        strings.ENGLISH.text("URGENT_REASONS")


def test_a_language_file_that_is_not_words_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(catalogue, "FOLDER", tmp_path)
    (tmp_path / "xx.yaml").write_text("CONFIRM_WORDS: [yes, no]\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"xx\.yaml: CONFIRM_WORDS"):
        catalogue.load("xx")


def test_the_dialog_engine_is_given_the_catalogues_words_which_are_its_own_english() -> None:
    texts = {f.name for f in dataclasses.fields(Words) if isinstance(getattr(ENGLISH, f.name), str)}
    assert set(strings.DIALOG_WORDS) == texts
    assert dialog_words() == ENGLISH  # the English in en.yaml is the engine's, word for word
    assert DIALOG_WORDS.help_words == strings.HELP_WORDS == {"help", "?"}
    assert sorted(strings.CANCEL_WORDS) == ["cancel", "stop"]
