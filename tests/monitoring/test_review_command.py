"""`python -m bot review [--year YEAR] PATH`: the review document written from the database, as
the IT person or the DSL runs it (a draft with today's figures before the review is opened)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.warm import run_bot


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_bot(
        *args,
        env={**os.environ, "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": ""},
        timeout=120,
    )


def test_it_writes_the_years_document_as_pdf_and_as_html(tmp_path) -> None:
    pdf, html = tmp_path / "review.pdf", tmp_path / "review.html"
    result = _run(tmp_path, "review", "--year", "2026", str(pdf))
    assert result.returncode == 0, result.stderr
    assert "The review of 2026 (not completed: a draft)" in result.stdout
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.read_bytes().rstrip().endswith(b"%%EOF")
    assert "weasyprint" not in result.stderr  # its progress lines stay out of the log
    result = _run(tmp_path, "review", str(html), "--year", "2026")
    assert result.returncode == 0, result.stderr
    page = html.read_text(encoding="utf-8")
    assert "<h1>Review of filtering and monitoring, 2026</h1>" in page
    assert "The figures cover 15/09/2025 to 14/09/2026." in page
    assert page.count('<p class="answer none">Not answered.</p>') == 7


def test_it_needs_a_path(tmp_path) -> None:
    result = _run(tmp_path, "review", "--year", "2026")
    assert result.returncode == 2
    assert "review needs a PATH" in result.stderr
