"""`python -m bot` as an IT person meets it: help, checks, clear refusals, a real start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT
from tests.support.warm import run_bot

EXAMPLE = PROJECT_ROOT / "config" / "school.example.yaml"


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_bot(*args, env={**os.environ, **env}, timeout=60)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": "", **extra}


def test_help_explains_the_commands_and_settings(tmp_path):
    result = _run("--help", env=_env(tmp_path))
    assert result.returncode == 0
    for word in ["run", "migrate", "check", "DATABASE_URL", "SCHOOL_CONFIG", "ENCRYPTION_KEY"]:
        assert word in result.stdout


def test_check_accepts_the_example_configuration(tmp_path):
    result = _run("check", env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_a_bad_school_config_stops_the_bot_naming_file_and_field(tmp_path):
    bad = tmp_path / "school.yaml"
    bad.write_text(EXAMPLE.read_text().replace("roles: [staff]", "roles: [teacher]", 1))
    result = _run("check", env=_env(tmp_path, SCHOOL_CONFIG=str(bad)))
    assert result.returncode == 2
    assert str(bad) in result.stderr
    assert "roles[0]" in result.stderr and "'teacher' is not a role" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_flow_file_stops_the_bot_naming_file_and_step(tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    source = (PROJECT_ROOT / "dialogs" / "flows" / "concern.yaml").read_text()
    (flows / "concern.yaml").write_text(source.replace("category == 'image'", "categry == 'image'"))
    result = _run("check", env=_env(tmp_path, FLOWS_DIR=str(flows)))
    assert result.returncode == 2
    assert "concern.yaml" in result.stderr and "image_rules" in result.stderr
    assert "'categry' is not a step" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_case_close_flow_without_the_decision_stops_the_bot_naming_the_step(tmp_path):
    # A school's own closing form that lost the step the bot reads when a case is closed: it is
    # refused at start, not after the DSL has filled in the whole form.
    flows = tmp_path / "flows"
    flows.mkdir()
    source = yaml.safe_load((PROJECT_ROOT / "dialogs" / "flows" / "case_close.yaml").read_text())
    source["steps"] = [s for s in source["steps"] if s["id"] != "decision"]
    for s in source["steps"]:  # nothing else may name it, or that would be the error
        s.pop("when", None)
    (flows / "case_close.yaml").write_text(yaml.safe_dump(source, sort_keys=False))
    result = _run("check", env=_env(tmp_path, FLOWS_DIR=str(flows)))
    assert result.returncode == 2, result.stdout
    assert str(flows / "case_close.yaml") in result.stderr
    assert "action: close needs the multi_choice step 'decision'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_encryption_key_stops_the_bot_with_what_to_do(tmp_path):
    result = _run("check", env=_env(tmp_path, ENCRYPTION_KEY="not-a-key"))
    assert result.returncode == 2
    assert "Fernet.generate_key()" in result.stderr


def test_half_configured_slack_stops_the_bot_naming_what_is_missing(tmp_path):
    result = _run("check", env=_env(tmp_path, SLACK_BOT_TOKEN="xoxb-1"))
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in result.stderr and "SLACK_APP_TOKEN" in result.stderr
    result = _run("check", env=_env(tmp_path, SLACK_SIGNING_SECRET="abc"))
    assert result.returncode == 2
    assert "set SLACK_BOT_TOKEN" in result.stderr
    assert "xoxb" not in result.stderr and "abc" not in result.stderr  # no secret is echoed


def test_half_configured_school_sign_in_stops_the_bot_naming_what_is_missing(tmp_path):
    secret = "a-client-secret-never-echoed"
    env = _env(tmp_path, OIDC_CLIENT_ID="app", OIDC_CLIENT_SECRET=secret, OIDC_PRESET="entra")
    result = _run("check", env=env)
    assert result.returncode == 2
    assert "PUBLIC_URL" in result.stderr and "OIDC_TENANT_ID" in result.stderr
    assert secret not in result.stderr
    google = _env(tmp_path, OIDC_CLIENT_ID="app", OIDC_PRESET="google", PUBLIC_URL="https://a.b")
    result = _run("check", env=google)
    assert result.returncode == 2
    assert "OIDC_CLIENT_SECRET" in result.stderr and "OIDC_HOSTED_DOMAIN" in result.stderr
    result = _run("check", env=_env(tmp_path, PUBLIC_URL="https://safety.example/chat"))
    assert result.returncode == 2 and "without a path" in result.stderr


def test_the_bot_starts_migrates_and_answers_health_checks(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "--port", str(port)],
        env={**os.environ, **_env(tmp_path)},
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = _wait_for(f"http://127.0.0.1:{port}/readyz", process)
        assert '"migrations": "current"' in body
        page = _wait_for(f"http://127.0.0.1:{port}/", process)
        assert "<html" in page.lower()
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    # The server runs on uvloop (issue 21: less CPU per turn than asyncio's own loop).
    assert "loop=uvloop" in output, output[-2000:]
    key = tmp_path / "data" / "encryption.key"
    assert key.stat().st_mode & 0o777 == 0o600


def _wait_for(url: str, process: subprocess.Popen[str]) -> str:
    """The page once the bot answers it: waited for while the bot runs (a loaded machine may
    take long to start it), given up only if it stops, or after far longer than any start."""
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                return str(response.read().decode())
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _without_head_and_chair() -> dict:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["people"] = [p for p in data["people"] if "headteacher" not in p["roles"]]
    del data["chair_of_governors_email"]
    return data


def test_check_refuses_a_school_with_nobody_to_take_allegations(tmp_path):
    """Without a headteacher and a chair, an allegation about the DSL would reach the DSL."""
    school = tmp_path / "school.yaml"
    school.write_text(yaml.safe_dump(_without_head_and_chair()))
    result = _run("check", env=_env(tmp_path, SCHOOL_CONFIG=str(school)))
    assert result.returncode == 2, result.stdout
    assert str(school) in result.stderr
    assert "allegations.fallback" in result.stderr
    assert "headteacher" in result.stderr and "chair" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_accepts_that_school_with_an_allegations_fallback(tmp_path):
    data = _without_head_and_chair()
    data["allegations"] = {
        "fallback": ["j.whitcombe@example.org"],
        "lado": {"name": "Example Borough LADO", "phone": "01632 960009"},
    }
    school = tmp_path / "school.yaml"
    school.write_text(yaml.safe_dump(data))
    result = _run("check", env=_env(tmp_path, SCHOOL_CONFIG=str(school)))
    assert result.returncode == 0, result.stderr
