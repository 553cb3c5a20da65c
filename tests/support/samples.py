"""One set of sample messages, of every kind the channels draw, for the render tests of the web
chat, Slack and Teams (each renders the same messages its own way).

The user text in them is hostile to every channel at once: HTML for the web page, Slack's
`<!here>` and Teams' `<at>` mention, markup characters (`<`, `>`, `&`, quotes), and a web
address that must stay defanged. None of them carries a click token (the menu's case, and what
the token tests add their own to); the web chat's samples add the ones its page sends back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.delivery.messages import (
    Card,
    CardField,
    Link,
    Notice,
    Option,
    Outbound,
    Question,
    Summary,
    SummaryRow,
)

ACTIONS = (
    Option("__back", "Back"),
    Option("__skip", "Skip"),
    Option("__help", "Help"),
    Option("__cancel", "Cancel", "danger"),
)
BACK_HELP_CANCEL = (ACTIONS[0], ACTIONS[2], ACTIONS[3])

NOTICE = Notice(
    text="That is 501 characters; the limit here is 500. Please shorten it.",
    tone="error",
    restore_text=(
        'AB <b>(Year 5)</b> & CD said "stop" <!here> <at>Head</at> <script>alert(1)</script>'
    ),
)

CHOICE_QUESTION = Question(
    step_id="category",
    input="choice",
    text="What kind of concern is it?",
    options=(
        Option("bullying", "Cyber-bullying"),
        Option("images", "Sharing nude or semi-nude images"),
        Option("other", "Something else"),
    ),
    hint="Choose the closest; you can describe it in your own words later.",
    progress=(2, 17),
    current_answer="Cyber-bullying",
    actions=BACK_HELP_CANCEL,
)

MULTI_QUESTION = Question(
    step_id="image_indicators",
    input="multi_choice",
    text="Do you know or suspect any of these? Choose all that apply, or skip.",
    options=(
        Option("adult_involved", "An adult is involved"),
        Option("coercion", "Coercion, blackmail or grooming"),
        Option("sextortion", "Someone is demanding money or more images"),
    ),
    hint="These help the DSL decide at once whether the police must be involved.",
    guidance="Do not view, copy or forward the image.\n• Keep the device secure.",
    required=False,
    progress=(6, 17),
    actions=ACTIONS,
)

TEXT_QUESTION = Question(
    step_id="what_happened",
    input="text",
    text="What happened? Please use the pupils' own words where you can.",
    hint="Facts, not opinions: who, what, when.",
    max_length=4000,
    progress=(9, 17),
    current_answer="AB showed me messages calling her names & worse.",
    actions=BACK_HELP_CANCEL,
)

PERSON_QUESTION = Question(
    step_id="adult_who",
    input="person",
    text="Who is it about? Start typing their name.",
    options=(Option("__someone_else", "Someone not on this list"),),
    guidance="It goes to the right person only, never to the person it is about.",
    max_length=200,
    progress=(7, 17),
    actions=BACK_HELP_CANCEL,
)

SUMMARY = Summary(
    title="Your online-safety concern",
    rows=(
        SummaryRow("immediate_danger", "Immediate danger", "No"),
        SummaryRow("category", "Kind of concern", "Cyber-bullying"),
        SummaryRow("pupils", "Pupils involved", "AB (Year 5), victim\nCD (Year 6)"),
        SummaryRow("where", "Where (platform, app or device)", "hxxps://example[.]com/chat"),
    ),
    text="Please check your answers. You can change any of them before sending.",
    options=(
        Option("__submit", "Send to the DSL", "primary"),
        Option("__back", "Back"),
        Option("__cancel", "Cancel", "danger"),
    ),
)

CARD = Card(
    card_id="case-42",
    title="URGENT: Online-safety concern OS-2026-00042",
    tone="urgent",
    text="Tom Brannigan reported a concern at 10:31. The police may need to be involved.",
    fields=(
        CardField("Reference", "OS-2026-00042"),
        CardField("Kind", "Online-safety concern: Sharing nude or semi-nude images"),
        CardField("Pupils involved", "AB (Year 5), victim\nCD (Year 6)"),
        CardField("Indicators", "Coercion, blackmail or grooming"),
        CardField(
            "What happened",
            'An older pupil asked AB for more pictures.\nAB said "stop" <b>twice</b> & left.',
        ),
    ),
    actions=(
        Option("case:ack:42", "Acknowledge", "primary"),
        Option("case:view:42", "View"),
        Option("case:close:42", "Close", "danger"),
    ),
    footer="Sent to the DSL and the deputy DSL",
    links=(Link("Printable chronology", "/api/web/cases/42/chronology.html"),),
)


def large_messages(long_answer: Callable[[int], str]) -> list[Outbound]:
    """The samples at their largest (30 summary rows, 200 chronology lines, 60 options, a
    40,000-character notice), with `long_answer(n)`: n characters of the channel's own filler,
    hostile to that channel."""
    rows = tuple(SummaryRow(f"step_{i}", f"Answer {i}", long_answer(4000)) for i in range(30))
    fields = tuple(CardField(f"Field {i}", f"Value {i}") for i in range(25))
    long_fields = tuple(CardField(f"Field {i}", long_answer(2500)) for i in range(25))
    chronology = tuple(CardField(f"2 March 2026 {i:02}:00", f"Note {i}") for i in range(200))
    many = tuple(Option(f"v{i}", f"Option number {i} " * 6) for i in range(60))
    return [
        replace(SUMMARY, rows=rows),
        replace(CARD, fields=fields),
        replace(CARD, fields=long_fields, text=long_answer(5000)),
        Card("history-42", "Chronology", fields=chronology, links=CARD.links * 12),
        replace(CHOICE_QUESTION, options=many),
        replace(
            MULTI_QUESTION, options=tuple(Option(f"v{i}", o.label) for i, o in enumerate(many))
        ),
        Notice(long_answer(40_000), "warning"),
    ]
