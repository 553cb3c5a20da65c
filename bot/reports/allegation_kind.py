"""Which an allegation about an adult at school is, as the reporter said (KCSIE 2025 part 4).

The flow's answer (`records: allegation_kind`) is kept on the report as a code. Anything but a
low-level concern or a self-report is handled as an allegation that may meet the harm
threshold: "harm", "not sure", and an answer a school's own flow adds (the safer route).
"""

from __future__ import annotations

from storage.models import Report

LOW_LEVEL = "low_level"
SELF_REPORT = "self_report"
# The flow's step that asks it, read mid-flow (an urgent report alerted before it is filed).
STEP = "adult_concern_kind"


def is_low_level(report: Report) -> bool:
    """A low-level concern: its own route and its own log, never a pupil's case. An urgent
    report never is one, whatever was answered: the safer route is the allegation's."""
    return report.allegation and report.allegation_kind == LOW_LEVEL and not report.urgent


def is_self_report(report: Report) -> bool:
    """The reporter is the adult concerned: they are left out of it like anyone it is about."""
    return report.allegation and report.allegation_kind == SELF_REPORT
