"""The filtering check the check tests walk: one ICT lead's answers, every category blocked but
self-harm (not tested), step ids as in dialogs/flows/filtering_check.yaml."""

from __future__ import annotations

from tests.support.alerts import ICT  # the example school's ICT lead

__all__ = ["CHECK", "ICT"]
CHECK = {
    "device": "Pupil laptop 12",
    "user_group": "pupils",
    "location": "ICT suite, school Wi-Fi",
    "test": "testfiltering",
    "result_csam": "blocked",
    "result_terrorism": "blocked",
    "result_adult": "blocked",
    "result_offensive_language": "blocked",
    "result_self_harm": "not_tested",
    "action": "Nothing needed",
}
