"""A trust's deployment reloading its files while it runs (bot/reload.py): a school added is
usable at once, without a restart; a file with a problem is refused whole, says why, and the
deployment goes on exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import Bot
from bot.reload import RunningSchools
from bot.server import RELOADER
from scheduler.setup import TRUST_START_SPREAD_SECONDS
from tests.web.chat import open_chat, serve, sign_in
from tests.web.test_trust_deployment import (
    OAKFIELD_ALONE,
    OAKFIELD_ONLY,
    RIVERSIDE_ONLY,
    file_concern,
    reports_of,
    with_a_bad_school,
    write_trust,
)


def _replace(path: Path, text: str) -> str:
    """Write `text` to `path`; what it held before."""
    before = path.read_text()
    path.write_text(text)
    return before


def _edit(path: Path, change: Callable[[str], str]) -> None:
    path.write_text(change(path.read_text()))


@pytest.fixture
def trust_file(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    return write_trust(folder)


async def test_a_school_added_while_the_bot_runs_is_usable_without_a_restart(
    make_bot: Any, trust_file: Path
) -> None:
    both = _replace(trust_file, OAKFIELD_ALONE)
    bot: Bot = await make_bot(trust_config=trust_file)
    assert list(bot.parts) == ["oakfield"]
    async with serve(bot) as client:
        refused = await client.post("/api/web/login", json={"email": RIVERSIDE_ONLY})
        assert refused.status != 200  # not on any school's staff yet

        _replace(trust_file, both)
        said = await client.server.app[RELOADER].reload()

        assert said == "reloaded: 2 school(s); added riverside"
        await sign_in(client, RIVERSIDE_ONLY)
        async with open_chat(client) as (chat, _hello, menu):
            reference = await file_concern(chat, menu, "riverside")
        # Oakfield goes on as before, its own records its own.
        client.session.cookie_jar.clear()
        await sign_in(client, OAKFIELD_ONLY)
        async with open_chat(client) as (chat, _hello, menu):
            theirs = await file_concern(chat, menu, "oakfield")
    assert await reports_of(bot, "riverside") == [(reference, RIVERSIDE_ONLY)]
    assert await reports_of(bot, "oakfield") == [(theirs, OAKFIELD_ONLY)]


@pytest.mark.parametrize(
    ("breaking", "named"),
    [
        ("trust", "Bad Key"),  # the trust file itself
        ("school", "riverside.yaml"),  # one of the schools' files
    ],
)
async def test_a_file_with_a_problem_changes_nothing_and_says_why(
    make_bot: Any, trust_file: Path, breaking: str, named: str
) -> None:
    bot: Bot = await make_bot(trust_config=trust_file)
    parts, trust = dict(bot.parts), bot.desk.trust  # type: ignore[union-attr]
    if breaking == "trust":
        _edit(trust_file, with_a_bad_school)
    else:
        _edit(
            trust_file.parent / "riverside.yaml",
            lambda text: text.replace("timezone: Europe/London", "timezone: Mars"),
        )
    async with serve(bot) as client:
        said = await client.server.app[RELOADER].reload()

        assert said.startswith("not reloaded, nothing changed: ")
        assert named in said
        assert bot.parts == parts and bot.desk.trust is trust  # type: ignore[union-attr]
        await sign_in(client, RIVERSIDE_ONLY)
        async with open_chat(client) as (chat, _hello, menu):
            reference = await file_concern(chat, menu, "riverside")
    assert await reports_of(bot, "riverside") == [(reference, RIVERSIDE_ONLY)]


async def test_a_school_of_one_has_nothing_to_reload(make_bot: Any) -> None:
    bot: Bot = await make_bot()
    async with serve(bot) as client:
        said = await client.server.app[RELOADER].reload()
    assert said.startswith("not reloaded: this deployment serves one school")


async def test_a_trusts_schools_start_their_self_audit_each_at_a_moment_of_its_own(
    make_bot: Any, trust_file: Path
) -> None:
    """Each school's start of the self-audit is spread over TRUST_START_SPREAD_SECONDS (the
    September morning's burst, bench/README.md); a school's own deployment keeps its time."""
    trust_bot: Bot = await make_bot(trust_config=trust_file)
    school_bot: Bot = await make_bot()
    for bot, spread in ((trust_bot, TRUST_START_SPREAD_SECONDS), (school_bot, None)):
        running = RunningSchools(bot, schedule=True)
        for key, part in bot.parts.items():
            running.start(key, part)
        try:
            for started in running.running.values():
                assert started.jobs is not None
                await started.jobs.start()  # as leading does (a no-op if it leads already)
                scheduler = started.jobs._scheduler
                assert scheduler is not None
                assert scheduler.get_job("start_audit").trigger.jitter == spread
        finally:
            await running.stop_all()
