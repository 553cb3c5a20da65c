"""Parsing our own sources in a test, safe from a CPython 3.11 bug.

In Python 3.11 the AST constructor's recursion depth is one counter of the interpreter. When the
garbage collector runs in the middle of `ast.parse` and finalises an object that warns (an
unclosed transport from an earlier test), pytest formats that warning's traceback, and 3.11's
traceback formatting parses source too: the outer parse then fails with "SystemError: AST
constructor recursion depth mismatch" (python/cpython#106905, pytest-dev/pytest#10763). So the
garbage is collected first and the collector is off while a file is parsed. What the parse
returns is unchanged: only when the collector runs moves.
"""

from __future__ import annotations

import ast
import gc


def parse(source: str) -> ast.Module:
    gc.collect()
    was_on = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(source)
    finally:
        if was_on:
            gc.enable()
