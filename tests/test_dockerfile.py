"""The Dockerfile, checked statically: this machine has no Docker engine to build it."""

from __future__ import annotations

import re

from bot.settings import PROJECT_ROOT

DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text()
PACKAGES = ["bot", "dialogs", "storage", "scheduler"]


def _final_stage() -> str:
    return DOCKERFILE.split("\nFROM ")[-1]


def test_it_is_multi_stage_on_a_slim_python_base():
    bases = re.findall(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE)
    assert len(bases) >= 2
    assert all(base.startswith("python:3.11-slim") for base in bases)


def test_the_runtime_runs_as_a_non_root_user():
    users = re.findall(r"^USER (\S+)", _final_stage(), re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}


def test_dependencies_come_from_the_pinned_lock_file():
    assert "requirements/runtime.lock" in DOCKERFILE
    assert re.search(r"pip install .*-r /tmp/runtime.lock", DOCKERFILE)
    lock = (PROJECT_ROOT / "requirements" / "runtime.lock").read_text().splitlines()
    pins = [line for line in lock if line and not line.startswith("#")]
    assert pins and all("==" in line for line in pins)


def test_every_package_and_the_config_are_copied():
    stage = _final_stage()
    for folder in [*PACKAGES, "config"]:
        assert re.search(rf"^COPY {folder} \./{folder}$", stage, re.MULTILINE), folder
    on_disk = {p.parent.name for p in PROJECT_ROOT.glob("*/__init__.py")}
    assert on_disk - {"tests"} <= set(PACKAGES)  # a new package must be added to the image


def test_health_check_volume_port_and_start_command():
    stage = _final_stage()
    assert re.search(r"HEALTHCHECK .*\n?.*readyz", stage)
    assert 'VOLUME ["/data"]' in stage and "DATA_DIR=/data" in stage
    assert "EXPOSE 3978" in stage
    assert 'CMD ["python", "-m", "bot", "run"]' in stage


def test_no_secret_is_baked_into_the_image():
    for line in DOCKERFILE.splitlines():
        if line.lstrip().startswith(("ENV", "ARG")) or "=" in line:
            assert not re.search(r"(KEY|TOKEN|SECRET|PASSWORD)\s*=", line.upper()), line
    ignored = (PROJECT_ROOT / ".dockerignore").read_text().split()
    assert "data" in ignored and ".venv" in ignored  # the key file and database stay out


def test_the_runtime_has_the_system_libraries_weasyprint_loads():
    # WeasyPrint (the review document's PDF) loads Pango, PangoFT2 and HarfBuzz's subsetter at
    # run time, and draws no text without a font: the slim base has none of them.
    stage = _final_stage()
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-dejavu"):
        assert re.search(rf"apt-get install [^\n]*(\\\n[^\n]*)*{package}", stage), package
    lock = (PROJECT_ROOT / "requirements" / "runtime.lock").read_text()
    assert re.search(r"^weasyprint==70\.", lock, re.MULTILINE | re.IGNORECASE)
