"""Small text helpers shared by the engine and every channel.

What a person typed is stored as typed; `shown_text` is how it is shown to anyone, everywhere
(the summary, the question's current answer, the DSL's alert and case view, the export):

- every URL-shaped string is defanged (hxxps://example[.]com), so nothing a reporter wrote
  looks clickable or can be previewed, whichever field it was typed in;
- every bidirectional control character is made visible as "[U+202E]" and the like. Stripping
  them would show "gnp.exe" where the reporter typed RIGHT-TO-LEFT OVERRIDE + "gnp.exe" (which
  their screen showed as "exe.png"): the DSL should see both the characters in their real order
  and that something unusual was typed, so a marker, never silence.

Both are idempotent: text shown once and shown again (rows stored at submission and shown again
in the case view) reads the same.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"\b(h)(tt)(ps?)(://)", re.IGNORECASE)
_DOT = re.compile(r"\[\.\]|\.")  # "[.]" is kept as it is, so defang(defang(x)) == defang(x)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Unicode's bidirectional formatting characters (UAX #9, "Explicit Directional Embeddings,
# Overrides and Isolates" U+202A-U+202E, U+2066-U+2069) and the implicit marks LRM U+200E,
# RLM U+200F and ARABIC LETTER MARK U+061C: each can reorder or disguise what is shown.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")

# Common top-level domains that are not English words: a bare "name.tld" with no path is taken
# for an address only with one of these, so "e.g.", "Mr. Smith", "gnp.exe", "end.Then" or a
# missed space ("told.me", "went.in", "said.it") are left alone; and only in lower case, as
# addresses are typed, so "ASP.NET" is a name, not an address.
_TLDS = "com|org|net|edu|gov|info|biz|io|co|uk|ly|gg|tv|xyz|ru|cn|de|fr|nl|pl|ca|au|ie|eu|cc|tk|ws"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_URL = re.compile(
    r"""(?<![\w@.\-/])(?:
        (?:https?|ftp)://[^\s<>"]+              # with a scheme
      | www\.[^\s<>"]+                          # www.anything
      | (?:LABEL\.)+[a-z]{2,24}(?::\d{1,5})?/[^\s<>"]*   # a domain with a path
      | (?:LABEL\.)+(?-i:TLDS)(?::\d{1,5})?(?![\w\-]|\.\w)  # bare, common endings
    )""".replace("LABEL", _LABEL).replace("TLDS", _TLDS),
    re.IGNORECASE | re.VERBOSE,
)
_TRAILING = ".,;:!?)]}'\"’”"


def defang(text: str) -> str:
    """Make a URL or search term impossible to click or preview: hxxps://example[.]com."""
    return _DOT.sub("[.]", _SCHEME.sub(lambda m: f"{m[1]}xx{m[3]}{m[4]}", text))


def defang_urls(text: str) -> str:
    """Every URL-shaped string in `text` defanged, the rest untouched: "see bit[.]ly/x."
    E-mail addresses are left as they are (a contact, not a page to visit)."""
    return _URL.sub(_defang_match, text)


def _defang_match(match: re.Match[str]) -> str:
    found = match[0]
    kept = found.rstrip(_TRAILING)  # the sentence's full stop or bracket is not the address's
    while len(kept) < len(found) and found[len(kept)] == ")" and kept.count("(") > kept.count(")"):
        kept += ")"  # but a page named with brackets keeps its closing one
    shown = defang(kept)
    if shown[:6].lower() == "ftp://":
        shown = "fxp" + shown[3:]
    return shown + found[len(kept) :]


def visible_bidi(text: str) -> str:
    """Each bidirectional control character replaced by a visible "[U+XXXX]"."""
    return _BIDI.sub(lambda m: f"[U+{ord(m[0]):04X}]", text)


def shown_text(text: str) -> str:
    """Typed text as it is shown to anyone: URLs defanged, direction controls made visible."""
    return defang_urls(visible_bidi(text))


def clean_typed_text(text: str) -> str:
    """Drop control characters that have no place in a written record; keep newlines and tabs."""
    return _CONTROL.sub("", text).strip()
