"""`python -m bot review PATH` writes the rest of the review pack beside the document: the
review year's filtering checks as CSV, as `checks` writes it."""

from __future__ import annotations

from tests.monitoring.test_review_command import _run


def test_the_years_checks_are_written_beside_the_document(tmp_path) -> None:
    pdf = tmp_path / "review.pdf"
    result = _run(tmp_path, "review", "--year", "2026", str(pdf))
    assert result.returncode == 0, result.stderr
    beside = tmp_path / "review-checks.csv"
    assert f"the year's filtering checks in {beside}" in result.stdout
    header = beside.read_bytes().decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Date,Time,Checked by,Email,Device,User group,Location,Test,")
