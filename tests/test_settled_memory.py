"""`python -m bot run` settles its memory once started (bot/server.py): what it built at start
is taken out of the garbage collector's full collections, which stopped the event loop for
over 100 ms with 50 people answering. Tests build many bots in one process, so it is off there."""

from __future__ import annotations

import gc

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_bot, prepare_storage
from bot.server import create_app
from bot.settings import Settings
from tests.conftest import EXAMPLE_CONFIG


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # back in the collector's reach: this process builds other bots


@pytest.mark.parametrize("settle", [True, False])
async def test_a_started_bot_freezes_what_it_built_only_when_asked(
    settle, unfrozen, sqlite_url, tmp_path, clock
):
    settings = Settings(
        data_dir=tmp_path / "data", database_url=sqlite_url, school_config=EXAMPLE_CONFIG
    )
    bot = build_bot(settings, clock=clock)
    await prepare_storage(bot)
    app = create_app(bot, run_scheduler=False, settle_memory=settle)
    try:
        async with TestClient(TestServer(app)) as client:
            assert (await client.get("/readyz")).status == 200
            frozen = gc.get_freeze_count()
    finally:
        await bot.engine.dispose()
    assert (frozen > 0) is settle
