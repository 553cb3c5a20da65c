"""Reading platform payloads (Slack's, Teams') defensively: each field is checked for its type,
and a missing or mistyped one raises the channel's own error with a short reason that never
quotes the payload, so it is safe to log."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any


class Fields:
    """The checked getters, raising `error` (the channel's payload error)."""

    def __init__(self, error: type[ValueError]) -> None:
        self.error = error

    def obj(self, parent: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
        value = parent.get(key)
        if not isinstance(value, Mapping):
            raise self.error(f"{where} without {key}")
        return value

    def opt_obj(self, parent: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
        value = parent.get(key)
        if value is not None and not isinstance(value, Mapping):
            raise self.error(f"{where} {key} is not an object")
        return value

    def string(self, parent: Mapping[str, Any], key: str, where: str) -> str:
        value = parent.get(key)
        if not isinstance(value, str) or not value:
            raise self.error(f"{where} without {key}")
        return value

    def opt_string(self, parent: Mapping[str, Any], key: str, where: str) -> str | None:
        value = parent.get(key)
        if value is not None and not isinstance(value, str):
            raise self.error(f"{where} {key} is not a string")
        return value or None


def digest(channel: str, *parts: str) -> str:
    """A delivery key of fixed size, whatever the lengths of the ids (the column holds 200
    characters); a NUL or lone surrogate in an id cannot fail the turn."""
    raw = "\n".join(parts).encode("utf-8", "surrogatepass")
    return f"{channel}:{hashlib.sha256(raw).hexdigest()}"
