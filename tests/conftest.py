"""Shared fixtures: a real database (SQLite and PostgreSQL), a bot built on it, a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from bot.app import Bot, build_bot, prepare_storage
from bot.settings import PROJECT_ROOT, Settings
from tests.support.clock import FakeClock
from tests.support.databases import (
    clear_postgres,
    copy_sqlite,
    create_private_database,
    drop_private_database,
    migrated_postgres,
    migrated_sqlite,
    postgres_reachable,
    postgres_required,
    postgres_url,
    reset_postgres,
)
from tests.support.parsed_once import parse_each_text_once

EXAMPLE_CONFIG = PROJECT_ROOT / "config" / "school.example.yaml"
# What a test that checks the report's words in an alert sets (details_in_alert is off by default).
DETAILS_IN_ALERTS = {"alerts__details_in_alert": True}


def example_config_with(directory: Path, **changes: Any) -> Path:
    """Write a copy of the example school config with some settings changed; `a__b=value` sets
    `b` in the section `a`."""
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    for dotted, value in changes.items():
        target = data
        *path, last = dotted.split("__")
        for key in path:
            target = target.setdefault(key, {})
        target[last] = value
    written = directory / "school.yaml"
    written.write_text(yaml.safe_dump(data))
    return written


_PG_STATE: dict[str, bool] = {}


def _pg_available() -> bool:
    if "ok" not in _PG_STATE:
        _PG_STATE["ok"] = postgres_reachable()
    return _PG_STATE["ok"]


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[str | None]:
    """This run's own PostgreSQL database, or None when no server is reachable."""
    if not _pg_available():
        yield None
        return
    base = postgres_url()
    url = asyncio.run(create_private_database(base))
    yield url
    asyncio.run(drop_private_database(base, url))


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This process's SQLite database as the migrations build it, copied for each test."""
    return asyncio.run(migrated_sqlite(tmp_path_factory.mktemp("migrated") / "bot.db"))


# The fingerprint of the schema the migrations built in this process's PostgreSQL database
# (see databases.clear_postgres); none until a test first asks for that database.
_PG_SCHEMA: dict[str, str] = {}

DATABASES = ("sqlite", "postgresql")
ONE_DATABASE = "one_database"
UNMIGRATED = "unmigrated"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{ONE_DATABASE}: what the test checks does not depend on the database (a channel's "
        "requests, replies and rendering); it runs on SQLite only. The storage beneath it runs "
        "on both databases in the tests of the storage, the flows, the alerts and the audits.",
    )
    config.addinivalue_line(
        "markers",
        f"{UNMIGRATED}: the test's database (database_url, sqlite_url) is empty, as nobody has "
        "migrated it yet; without it, a test starts on a database as the migrations build one.",
    )
    parse_each_text_once()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test with a database runs on both, unless it is marked `one_database`."""
    if "database_url" not in metafunc.fixturenames:
        return
    one = metafunc.definition.get_closest_marker(ONE_DATABASE) is not None
    metafunc.parametrize("database_url", DATABASES[:1] if one else DATABASES, indirect=True)


@pytest.fixture
async def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    private_postgres: str | None,
    migrated_sqlite_file: Path,
) -> str:
    """A fresh database of each kind for every test that asks for one (see
    pytest_generate_tests: SQLite only for a test marked `one_database`): as the migrations
    build a new one, with no row in it, or empty if the test is marked `unmigrated`."""
    unmigrated = request.node.get_closest_marker(UNMIGRATED) is not None
    if request.param == "sqlite":
        if unmigrated:
            return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return copy_sqlite(migrated_sqlite_file, tmp_path / "bot.db")
    url = await _fresh_postgres(private_postgres)
    if unmigrated:
        await reset_postgres(url)
        return url
    if _PG_SCHEMA.get(url) is None or not await clear_postgres(url, _PG_SCHEMA[url]):
        _PG_SCHEMA[url] = await migrated_postgres(url)
    return url


@pytest.fixture
async def postgres_only(private_postgres: str | None) -> str:
    """A fresh, empty PostgreSQL database, for what only PostgreSQL does (several processes
    on one database, advisory locks)."""
    url = await _fresh_postgres(private_postgres)
    await reset_postgres(url)
    return url


async def _fresh_postgres(private_postgres: str | None) -> str:
    if private_postgres is None:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required but not reachable at {postgres_url()}")
        pytest.skip("PostgreSQL not reachable: set TEST_DATABASE_URL to run these")
    return private_postgres


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite_file: Path) -> str:
    """A new SQLite database as the migrations build one (empty if marked `unmigrated`)."""
    if request.node.get_closest_marker(UNMIGRATED) is not None:
        return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    return copy_sqlite(migrated_sqlite_file, tmp_path / "bot.db")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


BotFactory = Callable[..., Awaitable[Bot]]


@pytest.fixture
async def make_bot(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[BotFactory]:
    """Build (and rebuild, to simulate a restart) a bot on the test's database."""
    built: list[Bot] = []

    async def factory(
        notifiers: dict[str, Any] | None = None, *, school_id: int | None = None, **overrides: Any
    ) -> Bot:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            "school_config": EXAMPLE_CONFIG,
        }
        values.update(overrides)
        bot = build_bot(Settings(**values), clock=clock, notifiers=notifiers, school_id=school_id)
        await prepare_storage(bot)
        built.append(bot)
        return bot

    yield factory
    for bot in built:
        await bot.engine.dispose()


# The longest tests (a fresh venv's pip install, the benchmarks' runs, processes of the bot,
# browsers, the Agents Playground), by file: with the suite spread over xdist workers they start
# first, so that no worker is left with one of them when the others have finished.
LONG_FIRST = (
    "tests/test_image_layout.py",
    "tests/test_bench_suite.py",
    "tests/test_multiprocess.py",
    "tests/test_bench_trust_processes.py",
    "tests/test_leader.py",
    "tests/test_bench_turn_latency.py",
    "tests/test_maintenance.py",
    "tests/security/test_file_permissions.py",
    "tests/security/test_restore.py",
    "tests/teams/test_playground.py",
    "tests/test_main.py",
    "tests/test_event_log.py",
    "tests/web/test_browser",
    "tests/security/test_browser_",
    "tests/teams/test_refusals.py",
    "tests/teams/test_teams_audit.py",
)


def _long_rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::")[0]
    for rank, prefix in enumerate(LONG_FIRST):
        if path.startswith(prefix):
            return rank
    return len(LONG_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if getattr(config.option, "numprocesses", None):  # only when xdist spreads the suite
        items.sort(key=_long_rank)  # stable: every other test keeps its place


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say plainly which optional suites did not run here, and why."""
    notes = []
    if "ok" not in _PG_STATE and terminalreporter.config.pluginmanager.has_plugin("dsession"):
        _pg_available()  # the xdist controller runs no test: the same server check as its workers
    if not _PG_STATE.get("ok", True):
        notes.append(f"PostgreSQL suite NOT run: nothing reachable at {postgres_url()}")
    elif _PG_STATE.get("ok"):
        server = make_url(postgres_url()).render_as_string(hide_password=True)
        notes.append(f"PostgreSQL suite ran (a private database on the server of {server})")
    skipped = terminalreporter.stats.get("skipped", [])
    if any("Chromium" in str(getattr(r, "longrepr", "")) for r in skipped):
        notes.append("Browser tests NOT run: Chromium was not found (apt-get install chromium)")
    for note in notes:
        terminalreporter.write_line(f"NOTE: {note}", yellow=True, bold=True)
