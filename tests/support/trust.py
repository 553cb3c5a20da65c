"""What a trust's deployment sends, as a test reads it: every button a school sends says its
school (`@<key>|<value>`: bot/delivery/school_tags.py)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.delivery.school_tags import untag_value


def school_values(values: Iterable[str | None], school: str) -> set[str]:
    """The values as `school` sent them; each must be tagged, and tagged with `school`."""
    found: set[str] = set()
    for value in values:
        if value is None:
            continue
        tagged = untag_value(value)
        assert tagged is not None, f"an untagged button in a trust: {value!r}"
        assert tagged[0] == school, f"another school's button: {value!r}"
        found.add(tagged[1])
    return found
