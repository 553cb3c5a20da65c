"""The kinds of report the bot files, and what differs between them.

A flow file says which kind it files (`report_kind: <id>`); everything the code does differently
for a kind is read from its entry here. A new kind is its flow YAML plus one entry in `REGISTRY`
(docs/adding-a-report-kind.md shows one, step by step).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dialogs.loader import Flow, FlowError


@dataclass(frozen=True)
class Kind:
    """One kind of report.

    Attributes:
        id: what a flow's `report_kind` names and `Report.kind` stores; never change it.
        reference_prefix: the start of its references, "OS" in OS-2026-00042.
        label: how a case's Kind field, the case lists and the chronology name it.
        alert_title: the title of its alert card, before the reference.
        command_words: typed to the bot (or after `/online-safety` in Slack) to start it; help
            names the first.
        help_phrase: what help says the first command word is for, after it.
        tells_ict: the ICT contacts are told too (a card without pupil details), once the
            report is complete; the DSL team is always told.
        possibly_illegal_also_filed_as: a `possibly_illegal` signal in this kind's flow files
            a linked, urgent report of this kind as well, the moment the answer is given
            (None: nothing more is filed).
        filed_from_chat: a person files it in chat, through a flow of its kind; False for a
            kind the bot files itself (a monitoring provider's alert): it has no flow, no menu
            button, no command words, and there is no reporter to tell when it is acknowledged.
    """

    id: str
    reference_prefix: str
    label: str
    alert_title: str
    command_words: tuple[str, ...]
    help_phrase: str
    tells_ict: bool = False
    possibly_illegal_also_filed_as: str | None = None
    filed_from_chat: bool = True


CONCERN = Kind(
    id="concern",
    reference_prefix="OS",
    label="Online-safety concern",
    alert_title="Online-safety concern",
    command_words=("report", "concern"),
    help_phrase="to report a concern",
)
FILTERING = Kind(
    id="filtering",
    reference_prefix="FF",
    label="Filtering or monitoring",
    alert_title="Filtering report",
    command_words=("filtering", "filter", "monitoring"),
    help_phrase="for a filtering or monitoring problem",
    tells_ict=True,
    possibly_illegal_also_filed_as=CONCERN.id,
)
# An alert from the school's monitoring provider (bot/monitoring), filed by the bot when the
# provider sends it. It is about a pupil's account, never an adult at school: no allegation.
MONITORING_ALERT = Kind(
    id="monitoring_alert",
    reference_prefix="MA",
    label="Monitoring alert",
    alert_title="Monitoring alert",
    command_words=(),
    help_phrase="",
    filed_from_chat=False,
)

# Every kind, by id, in the order help lists them.
REGISTRY: dict[str, Kind] = {entry.id: entry for entry in (CONCERN, FILTERING, MONITORING_ALERT)}


def kind(kind_id: str) -> Kind:
    """The kind with this id; KeyError for one not registered."""
    return REGISTRY[kind_id]


def find(kind_id: str | None) -> Kind | None:
    """The kind with this id, or None (a report stored by a kind since removed)."""
    return REGISTRY.get(kind_id or "")


def all_kinds() -> tuple[Kind, ...]:
    return tuple(REGISTRY.values())


def default_kind() -> Kind:
    """What starting "a report" with no kind named starts (Slack's global shortcut)."""
    return CONCERN


def kind_for_command(words: str) -> Kind | None:
    """The kind these typed words start ("report", "Filtering"), or None."""
    said = " ".join(words.casefold().split())
    for entry in REGISTRY.values():
        if said in entry.command_words:
            return entry
    return None


def command_hint() -> str:
    """What help says about starting each kind: '"report" to report a concern, ...'."""
    return ", ".join(
        f'"{k.command_words[0]}" {k.help_phrase}' for k in REGISTRY.values() if k.command_words
    )


def check_report_kinds(flows: Iterable[Flow]) -> None:
    """Refuse (FlowError, naming the file) a report flow whose `report_kind` is not registered."""
    for flow in flows:
        chat_kinds = [k.id for k in REGISTRY.values() if k.filed_from_chat]
        if flow.spec.purpose != "report" or flow.spec.report_kind in chat_kinds:
            continue
        known = [repr(k) for k in chat_kinds]
        listed = f"{', '.join(known[:-1])} or {known[-1]}" if len(known) > 1 else known[0]
        raise FlowError(
            f"{flow.source}: report_kind: Input should be {listed} (the report kinds in "
            f"bot/reports/kinds.py), not {flow.spec.report_kind!r}"
        )
