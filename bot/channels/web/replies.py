"""What the web chat's own responses carry: the page's security headers, and how a person is
described to the page."""

from __future__ import annotations

from typing import Any

from bot.school.config import Person

# The page may load its own scripts, styles and images and talk to its own server; nothing else.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
NO_STORE = {"Cache-Control": "no-store"}


def person_json(person: Person) -> dict[str, Any]:
    return {"email": person.email, "name": person.name, "roles": [str(r) for r in person.roles]}
