"""Hostile input, reproducibly: a seeded generator of the values an attacker tries first.

Every fuzz test in this folder draws from here with a fixed seed and a bounded count, so a
failure names a case that comes back on the next run. The values are the ones that broke
things before: deep nesting, huge numbers, lone surrogates, NUL, wrong types where an object is
expected, and text just over the limits.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

SEED = 20261204


def seeded() -> random.Random:
    """The generator every fuzz test starts from: the same cases, in the same order, each run."""
    return random.Random(SEED)  # noqa: S311 - reproducible on purpose; nothing secret here


# Strings that have broken parsers, databases or renderers somewhere.
NASTY_STRINGS: tuple[str, ...] = (
    "",
    " ",
    "\u0000",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "%00",
    "../../etc/passwd",
    "99999999999999999999999",
    "-1",
    "1e309",
    "NaN",
    "0x10",
    "<script>alert(1)</script>",
    "<!here> <@U123> &amp;",
    "'; DROP TABLE reports; --",
    "\u202e\u200b",
    "case:view:\u0000",
    "case:view:\ud800",
    "x" * 5000,
)

NASTY_NUMBERS: tuple[Any, ...] = (0, -1, 2**63, 10**30, -(10**30), 1.5, float("inf"))


def deep_list(depth: int) -> str:
    """`[[[...]]]` as raw text: json.loads of this recurses once a level."""
    return "[" * depth + "]" * depth


def deep_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def values(rng: random.Random, depth: int = 0) -> Any:
    """One random JSON-ish value, biased to the nasty ones."""
    pick = rng.randrange(9 if depth < 3 else 6)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice((True, False))
    if pick == 2:
        return rng.choice(NASTY_NUMBERS)
    if pick in (3, 4, 5):
        return rng.choice(NASTY_STRINGS)
    if pick == 6:
        return [values(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ("type", "id", "text", "value", "token", "from", "data", "step", "query", "t")
    return {rng.choice(keys): values(rng, depth + 1) for _ in range(rng.randrange(5))}


def mutations(document: Any, rng: random.Random) -> Any:
    """A copy of a valid document with one field replaced, removed or retyped."""
    if isinstance(document, dict) and document:
        copy = dict(document)
        key = rng.choice(sorted(copy))
        roll = rng.randrange(3)
        if roll == 0:
            del copy[key]
        elif roll == 1:
            copy[key] = values(rng)
        else:
            copy[key] = mutations(copy[key], rng)
        return copy
    if isinstance(document, list) and document:
        copy = list(document)
        index = rng.randrange(len(copy))
        copy[index] = mutations(copy[index], rng)
        return copy
    return values(rng)


def raw_bodies(rng: random.Random, valid: Any, count: int) -> Iterator[str]:
    """`count` request bodies: fixed hostile texts first, then mutations of a valid document."""
    fixed = [
        deep_list(200_000),
        deep_object(50_000),
        "[",
        "{",
        "null",
        "5",
        '"text"',
        "[]",
        "{}",
        "\x00",
        json.dumps(valid)[:-1],
    ]
    yield from fixed[:count]
    for _ in range(max(0, count - len(fixed))):
        yield json.dumps(mutations(valid, rng), allow_nan=True)


def url_segment(value: str) -> str:
    """`value` as one percent-encoded path segment; lone surrogates go as the bytes a careless
    client would send (%ED%A0%80), which the server must refuse, not choke on."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def segments(rng: random.Random, count: int) -> Iterator[str]:
    """`count` hostile path segments, percent-encoded: every nasty string first, then numbers
    and random picks."""
    pool = [*NASTY_STRINGS, *(str(n) for n in NASTY_NUMBERS), "1", "OS-2026-00001"]
    for index in range(count):
        yield url_segment(pool[index] if index < len(pool) else rng.choice(pool))


def header_values(rng: random.Random, count: int) -> Iterator[str]:
    """`count` hostile values a client can put in an HTTP header (no CR, LF or NUL)."""
    sendable = [s for s in NASTY_STRINGS if s.isascii() and s.isprintable()]
    for _ in range(count):
        yield rng.choice(sendable)
