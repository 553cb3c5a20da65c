"""The data folder is the bot's alone: 0700, and every file in it 0600, whatever state it was
found in (Docker creates a volume 0755; an older bot left bot.db 0644), and a start that cannot
make it so stops and says the command that fixes it.

"Cannot" is made real, not mocked: as root, chmod always succeeds, so the bot is run as the
unprivileged user `nobody` (uid 65534) against a folder root owns, exactly the Docker case of a
volume created by root for a bot that runs as a non-root user. The interpreter lives under
/root on the project's machines, which `nobody` cannot read, so the process starts as root,
imports the bot and only then drops to `nobody` (os.setuid) before `main` runs; as a non-root
developer the folder is one another user owns (the system temp folder, owned by root).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from tests.support.warm import run_bot

NOBODY = 65534


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _env(data: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATA_DIR": str(data),
        "DATABASE_URL": "",
        "ENCRYPTION_KEY": "",
        **extra,
    }


def _run(*args: str, data: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return run_bot(*args, env=_env(data, **extra), timeout=120)


def _everything_in(data: Path) -> dict[str, int]:
    return {
        str(path.relative_to(data)): _mode(path)
        for path in sorted(data.rglob("*"))
        if not path.is_symlink()
    }


def _assert_private(data: Path) -> None:
    assert _mode(data) == 0o700
    modes = _everything_in(data)
    assert modes, "the bot wrote nothing?"
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (data / name).is_dir() else 0o600)
    }
    assert wrong == {}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_0755_data_folder_ends_0700_and_the_running_bots_files_0600(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)  # as Docker creates /data
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "--port", str(port)],
        env=_env(data),
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/readyz")
        # While it runs: the write-ahead log and its index exist beside the database.
        for name in ["bot.db", "bot.db-wal", "bot.db-shm", "encryption.key", "web_session.key"]:
            assert (data / name).exists(), name
        _assert_private(data)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    _assert_private(data)


def test_an_older_installs_0644_files_are_made_0600_at_start(tmp_path):
    data = tmp_path / "data"
    assert _run("migrate", data=data).returncode == 0
    (data / "bot.db.before-restore").write_bytes(b"an older copy")
    (data / "encryption.key.old-2025-09-01").write_bytes(b"an old key\n")
    (data / "exports").mkdir()
    (data / "exports" / "chronology.csv").write_text("a,b\n")
    for path in [data, *data.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)

    result = _run("migrate", data=data)
    assert result.returncode == 0, result.stderr
    _assert_private(data)


def test_backup_restore_and_rotate_key_write_only_private_files(tmp_path):
    data = tmp_path / "data"
    assert _run("migrate", data=data).returncode == 0
    backups = tmp_path / "backups" / "2026"  # the bot makes these folders: private too
    copy = backups / "bot.db"
    made = _run("backup", str(copy), data=data)
    assert made.returncode == 0, made.stderr
    assert _mode(copy) == 0o600
    assert _mode(backups) == 0o700 and _mode(backups.parent) == 0o700
    restored = _run("restore", str(copy), data=data)
    assert restored.returncode == 0, restored.stderr
    rotated = _run("rotate-key", data=data)
    assert rotated.returncode == 0, rotated.stderr
    assert (data / "bot.db.before-restore").exists()
    assert list(data.glob("encryption.key.old-*"))
    _assert_private(data)


# --- a folder the bot cannot make private


_AS_NOBODY = """
import os, sys
import encodings.ascii, encodings.idna, tzlocal
import bot.__main__ as entry  # everything the start needs, read while still root
tzlocal.get_localzone()
os.setgroups([])
os.setgid({uid})
os.setuid({uid})
sys.exit(entry.main(sys.argv[1:]))
"""


@pytest.fixture
def foreign_folder() -> Iterator[tuple[Path, list[str]]]:
    """A folder this test's bot process does not own, and the command that runs the bot."""
    if os.geteuid() == 0:
        parent = Path(tempfile.mkdtemp(prefix="osb-foreign-"))
        parent.chmod(0o755)  # nobody may look inside, as in any Docker volume's parent
        data = parent / "data"
        data.mkdir()
        data.chmod(0o755)  # owned by root, as Docker creates a volume
        try:
            yield data, [sys.executable, "-c", _AS_NOBODY.format(uid=NOBODY)]
        finally:
            shutil.rmtree(parent)
        return
    system_temp = Path(tempfile.gettempdir())
    if system_temp.stat().st_uid == os.geteuid():
        pytest.skip("needs root, or a system temp folder owned by another user")
    yield system_temp, [sys.executable, "-m", "bot"]


@pytest.mark.parametrize(
    "command", [["run"], ["migrate"], ["check"], ["backup", "B"], ["restore", "B"], ["rotate-key"]]
)
def test_a_data_folder_owned_by_another_user_stops_every_command_with_the_fix(
    foreign_folder, command, tmp_path
):
    data, bot = foreign_folder
    before = _everything_in(data) if data != Path(tempfile.gettempdir()) else None
    args = [str(tmp_path / "b.db") if word == "B" else word for word in command]
    result = subprocess.run(
        [*bot, *args], capture_output=True, text=True, timeout=120, env=_env(data), cwd=PROJECT_ROOT
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"{data}" in result.stderr
    assert "chown -R" in result.stderr and "chmod" in result.stderr
    if before is not None:
        assert _everything_in(data) == before  # nothing written into it


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the folder to another user")
def test_a_file_in_the_data_folder_owned_by_another_user_stops_the_start_naming_it():
    parent = Path(tempfile.mkdtemp(prefix="osb-foreign-"))
    try:
        parent.chmod(0o755)
        data = parent / "data"
        data.mkdir(mode=0o700)
        os.chown(data, NOBODY, NOBODY)
        stray = data / "bot.db"  # say, left by a `docker exec` as root
        stray.write_bytes(b"")
        stray.chmod(0o644)
        result = subprocess.run(
            [sys.executable, "-c", _AS_NOBODY.format(uid=NOBODY), "check"],
            capture_output=True,
            text=True,
            timeout=120,
            env=_env(data),
            cwd=PROJECT_ROOT,
        )
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert str(stray) in result.stderr and "chown -R" in result.stderr
        assert _mode(stray) == 0o644
    finally:
        shutil.rmtree(parent)


def test_a_data_folder_that_is_a_file_stops_the_start_saying_so(tmp_path):
    data = tmp_path / "data"
    data.write_text("not a folder\n")
    result = _run("check", data=data)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(data) in result.stderr and "not a folder" in result.stderr
