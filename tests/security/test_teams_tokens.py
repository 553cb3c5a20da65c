"""Issue 13, point 5: with authentication on, every token /api/messages cannot accept gets 401,
never a 500 with a traceback: above all one without a `kid` (alg "none", HS256), on which the
SDK's validator failed with `KeyError: 'kid'`. When the signing keys cannot be fetched (our
side), the answer is 503, which the Bot Connector retries; never a 500."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from tests.support.clock import FakeClock
from tests.support.net import free_port
from tests.teams.conftest import refusing_internet
from tests.teams.security_support import no_errors, nothing_happened, teams_world
from tests.teams.tokens import (
    ISSUER,
    KID,
    OUR_KEY,
    key_sets_at,
    serving_keys,
    signed_settings,
    token,
)
from tests.teams.world import APP_ID, STAFF, TeamsWorld

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    with refusing_internet(monkeypatch) as attempts:
        yield attempts


@pytest.fixture
async def world(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[TeamsWorld]:
    async with serving_keys(), teams_world(database_url, tmp_path, clock, **signed_settings()) as w:
        yield w


def claims() -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": APP_ID, "iat": now, "nbf": now, "exp": now + 600}


def segment(value: object) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forged(header: object, body: object = None, signature: bytes = b"garbage") -> str:
    return ".".join(
        (segment(header), segment(claims() if body is None else body), segment(signature))
    )


KIDLESS = {
    "alg none": lambda: jwt.encode(claims(), None, algorithm="none"),
    "HS256 with a secret": lambda: jwt.encode(
        claims(), "a-secret-of-32-bytes-or-more!!!!", algorithm="HS256"
    ),
    "RS256 header without kid": lambda: forged({"alg": "RS256", "typ": "JWT"}),
    "RS256 signed by our key, no kid": lambda: jwt.encode(claims(), OUR_KEY, algorithm="RS256"),
}

GARBAGE = {
    "kid a number": lambda: forged({"alg": "RS256", "kid": 5}),
    "kid a list": lambda: forged({"alg": "RS256", "kid": [KID]}),
    "kid null": lambda: forged({"alg": "RS256", "kid": None}),
    "header a list": lambda: forged([1, 2]),
    "header not base64": lambda: "!!!." + segment(claims()) + ".x",
    "payload a list": lambda: forged({"alg": "RS256", "kid": KID}, [1]),
    "payload not JSON": lambda: (
        segment({"alg": "RS256", "kid": KID}) + "." + segment(b"\xff{") + ".x"
    ),
    "two segments": lambda: segment({"alg": "RS256", "kid": KID}) + "." + segment(claims()),
    "unknown kid": lambda: jwt.encode(
        claims(), OUR_KEY, algorithm="RS256", headers={"kid": "other"}
    ),
    "HS256 with our kid": lambda: jwt.encode(
        claims(), "a-secret-of-32-bytes-or-more!!!!", algorithm="HS256", headers={"kid": KID}
    ),
    "our key, wrong signature": lambda: token()[:-6] + "AAAAAA",
    "bearer with two tokens": lambda: token() + " " + token(),
}


async def answer_to(world: TeamsWorld, bearer: str) -> tuple[int, dict[str, Any]]:
    """The status and JSON body with which the bot answers a message carrying this token."""
    response = await world.say(STAFF, "report", Authorization=f"Bearer {bearer}")
    body: dict[str, Any] = await response.json()
    return response.status, body


@pytest.mark.parametrize("case", list(KIDLESS))
async def test_a_token_without_kid_gets_401(
    world: TeamsWorld, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    status, body = await answer_to(world, KIDLESS[case]())
    assert (status, set(body)) == (401, {"error"})
    assert "Traceback" not in body["error"]
    no_errors(caplog)
    await nothing_happened(world)


@pytest.mark.parametrize("case", list(GARBAGE))
async def test_a_garbage_token_gets_401(
    world: TeamsWorld, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    status, body = await answer_to(world, GARBAGE[case]())
    assert (status, set(body)) == (401, {"error"})
    assert "Traceback" not in body["error"]
    no_errors(caplog)
    await nothing_happened(world)


async def test_our_own_token_passes_and_entra_out_of_reach_is_a_502(
    world: TeamsWorld, no_internet: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """The control: the same world takes a good token, so the refusals above are for the
    tokens, not for everything. Past the check, the SDK asks Microsoft Entra for the token it
    replies with; refused here (no internet), that is our side's failure: 502, no traceback."""
    response = await world.say(STAFF, "report", Authorization=f"Bearer {token()}")
    assert response.status == 502
    assert set(no_internet) == {"login.microsoftonline.com"}
    no_internet.clear()
    tracebacks = [r for r in caplog.records if r.exc_info is not None]
    assert tracebacks == []


async def test_signing_keys_out_of_reach_get_503_not_401_or_500(
    world: TeamsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    with key_sets_at(f"http://127.0.0.1:{free_port()}/keys"):  # nothing listens there
        response = await world.say(STAFF, "report", Authorization=f"Bearer {token()}")
    assert response.status == 503
    assert "try again" in (await response.json())["error"]
    no_errors(caplog)
    await nothing_happened(world)


async def test_a_malformed_activity_with_a_good_token_gets_400(
    world: TeamsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    activity = world.activity(STAFF, type="message", text=5)
    response = await world.post(activity, Authorization=f"Bearer {token()}")
    assert response.status == 400
    no_errors(caplog)
    await nothing_happened(world)


async def test_a_large_body_without_a_token_is_refused_before_it_is_read(
    world: TeamsWorld,
) -> None:
    """No token, no reading: a stranger's 2 MB gets 401, not 413 (nor a parse)."""
    activity = world.activity(STAFF, type="message", text="x" * 2_000_000)
    body = io.BytesIO(json.dumps(activity).encode())
    headers = {"Content-Type": "application/json"}
    response = await world.client.post("/api/messages", data=body, headers=headers)
    assert response.status == 401
