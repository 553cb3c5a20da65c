"""Two web processes behind one address (docker-compose's replicas) each keep their own data
folder: a cookie signed by one must work on the other when they share WEB_SESSION_SECRET, and
(as before) not when each signs with its own key file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web import auth
from bot.server import create_app
from tests.web.chat import DSL


@pytest.mark.parametrize(
    ("shared", "works"), [("one long random secret " * 2, True), (None, False)]
)
async def test_a_cookie_from_one_replica_works_on_another_with_the_shared_secret(
    make_bot: Any, tmp_path: Path, shared: str | None, works: bool
) -> None:
    secret = {"web_session_secret": shared} if shared else {}
    one = await make_bot(data_dir=tmp_path / "one", **secret)
    two = await make_bot(data_dir=tmp_path / "two", **secret)
    async with TestClient(TestServer(create_app(one, run_scheduler=False))) as first:
        assert (await first.post("/api/web/login", json={"email": DSL})).status == 200
        cookie = next(c.value for c in first.session.cookie_jar if c.key == auth.COOKIE)
    async with TestClient(TestServer(create_app(two, run_scheduler=False))) as second:
        second.session.cookie_jar.update_cookies({auth.COOKIE: cookie})
        me = await second.get("/api/web/me")
        assert me.status == (200 if works else 401)
        if works:
            assert (await me.json())["email"] == DSL
