"""Each YAML text parsed once per test process; every later load gets a fresh copy of it.

Every bot a test builds loads the flows and the school file: parsing that YAML with PyYAML's
pure-Python parser was nine tenths of building a bot, and the texts are the same thousands of
times over. This caches the result of the safe loaders (the only ones the project uses) by
loader class and exact text, and hands out `copy.deepcopy` of it: the same values, types,
order and shared (aliased) parts as a new parse, never an object another load was given. A text
that fails to parse is not cached, so every such load raises as before; a file that changes is
a different text. Only whole-string input is cached (a stream is read as it is parsed).
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from yaml.constructor import BaseConstructor

_PARSE = BaseConstructor.get_single_data
_PARSED: dict[tuple[type, str], Any] = {}


def _get_single_data(self: Any) -> Any:
    if not isinstance(self, yaml.SafeLoader) or self.name != "<unicode string>" or self.pointer:
        return _PARSE(self)
    key = (type(self), self.buffer)
    if key not in _PARSED:
        _PARSED[key] = _PARSE(self)
    return copy.deepcopy(_PARSED[key])


def parse_each_text_once() -> None:
    BaseConstructor.get_single_data = _get_single_data  # type: ignore[method-assign]
