"""tests/support/parsing.py: a source file parses even when the collector would finalise an
object that warns in the middle of it (what failed tests/words/test_catalogue.py in CI)."""

from __future__ import annotations

import ast
import gc
import sys
import traceback
from collections.abc import Iterator

import pytest

from bot.settings import PROJECT_ROOT
from tests.support.parsing import parse

SOURCE = (PROJECT_ROOT / "bot" / "trust_lead_desk.py").read_text(encoding="utf-8")


class _Warns:
    """Finalised only by the collector (it refers to itself), and its finalizer fails, as an
    unclosed transport's warning does under pytest's `error` filter."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        # An expression whose traceback line 3.11 draws carets under (a binary operation).
        self.finalised = [1][0] + [][0]


@pytest.fixture
def collector_mid_parse() -> Iterator[None]:
    """Garbage waiting, the collector eager, and a hook that formats the failing finalizer's
    traceback (pytest's does; 3.11 parses source to draw the carets)."""

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        traceback.format_exception(
            unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback
        )

    before, threshold = sys.unraisablehook, gc.get_threshold()
    sys.unraisablehook = hook
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.collect()
        sys.unraisablehook = before


def _garbage() -> None:
    for _ in range(2000):
        _Warns()
    gc.set_threshold(50)


def test_a_file_parses_while_garbage_that_warns_is_waiting(collector_mid_parse: None) -> None:
    for _ in range(10):
        _garbage()
        tree = parse(SOURCE)
        assert ast.dump(tree) == ast.dump(ast.parse(SOURCE, "again"))


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the CPython 3.11 bug")
def test_plain_ast_parse_fails_there_which_is_why_the_helper_exists(
    collector_mid_parse: None,
) -> None:
    failed = None
    for _ in range(10):
        _garbage()
        try:  # nothing between: the collector's next run is to be inside the parse
            ast.parse(SOURCE)
        except SystemError as error:
            failed = error
    assert failed is not None and "recursion depth mismatch" in str(failed)
