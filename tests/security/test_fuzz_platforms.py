"""Issue 13: nothing anyone sends to the Teams and Slack endpoints gets a 500 or leaves a
traceback in the log. A seeded, bounded fuzz (tests/security/fuzz.py): hostile bodies and
mutations of real-shaped activities at /api/messages (anonymous, for shapes), hostile tokens at
/api/messages (authentication on), and signed hostile bodies and payloads at /slack/events,
with some unsigned, badly signed and stale ones among them. A failure names its case number:
the same seed brings it back."""

from __future__ import annotations

import base64
import io
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest

from tests.security import fuzz
from tests.slack.conftest import STAFF as SLACK_STAFF
from tests.slack.conftest import running_world as running_slack_world
from tests.slack.payloads import click, dm, suggestion
from tests.slack.world import TEAM, SlackWorld
from tests.support.clock import FakeClock
from tests.teams.conftest import refusing_internet
from tests.teams.security_support import teams_world
from tests.teams.tokens import KID, OUR_KEY, serving_keys, signed_settings, token
from tests.teams.world import BOT, STAFF, TeamsWorld

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it

TEAMS_CASES = 160
TOKEN_CASES = 80
SLACK_CASES = 200


@pytest.fixture
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with refusing_internet(monkeypatch):
        yield


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (r.name, r.getMessage()[:200])
        for r in caplog.records
        if r.levelno >= logging.ERROR and (r.exc_info is not None or "Traceback" in r.getMessage())
    ]


def mutated(rng: random.Random, document: Any) -> Any:
    for _ in range(rng.randrange(1, 4)):
        document = fuzz.mutations(document, rng)
    return document


def dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


# Teams ------------------------------------------------------------------------------------


def teams_documents(world: TeamsWorld) -> list[dict[str, Any]]:
    """Real-shaped activities of every kind the bot acts on."""
    card = {"os": 1, "v": "start:concern", "t": "x.1"}
    return [
        world.activity(STAFF, type="message", text="hello", textFormat="plain"),
        world.activity(STAFF, type="message", value=card, replyToId="1"),
        world.activity(STAFF, type="message", value={"os": 1, "multi": "s", "os_ticked": "a,b"}),
        world.activity(STAFF, type="conversationUpdate", membersAdded=[dict(BOT)]),
        world.activity(STAFF, type="installationUpdate", action="remove"),
        world.activity(
            STAFF,
            type="invoke",
            name="fileConsent/invoke",
            value={"action": "decline", "context": {"os": 1, "file": "case_pdf", "id": 1}},
        ),
        world.activity(
            STAFF,
            type="invoke",
            name="application/search",
            value={"queryText": "Ali", "dataset": "os_person:who"},
        ),
        world.activity(
            STAFF,
            type="message",
            text="<at>Online Safety</at> hi",
            entities=[{"type": "mention", "text": "<at>Online Safety</at>", "mentioned": BOT}],
            attachments=[{"contentType": "image/png", "contentUrl": "https://x.example/a.png"}],
        ),
    ]


def teams_bodies(world: TeamsWorld, rng: random.Random, count: int) -> Iterator[bytes]:
    documents = teams_documents(world)
    for text in fuzz.raw_bodies(rng, documents[0], 11):  # the two deep ones: over the limit
        yield text.encode("utf-8", "surrogatepass")
    yield fuzz.deep_list(5_000).encode()  # under the size limit, past the parser's depth
    yield dumps({**documents[0], "value": json.loads(fuzz.deep_object(200))})
    for _ in range(count - 13):
        yield dumps(mutated(rng, rng.choice(documents)))


@pytest.fixture
async def anonymous_teams(
    database_url: str, tmp_path: Path, clock: FakeClock, no_internet: None
) -> AsyncIterator[TeamsWorld]:
    async with teams_world(database_url, tmp_path, clock) as world:
        yield world


async def test_fuzzed_activities_get_no_500_and_no_traceback(
    anonymous_teams: TeamsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world = anonymous_teams
    rng = random.Random(fuzz.SEED)  # noqa: S311 (repeatable cases, not secrets)
    statuses: dict[int, int] = {}
    headers = {"Content-Type": "application/json"}
    for n, body in enumerate(teams_bodies(world, rng, TEAMS_CASES)):
        response = await world.client.post("/api/messages", data=io.BytesIO(body), headers=headers)
        # An invoke the bot has no answer for gets the SDK's 501, the Bot Framework's
        # convention for an unhandled invoke; nothing else may be a 5xx.
        unanswered_invoke = response.status == 501 and b'"type": "invoke"' in body
        assert response.status < 500 or unanswered_invoke, (n, response.status)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        assert tracebacks(caplog) == [], n
    await world.bot.teams.background_done()
    assert tracebacks(caplog) == []
    # The fuzz reached past the checks as well as into them.
    assert statuses.get(400, 0) > 0 and statuses.get(202, 0) + statuses.get(200, 0) > 0, statuses


def segment(value: Any) -> str:
    raw = value if isinstance(value, bytes) else dumps(value)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hostile_tokens(rng: random.Random, count: int) -> Iterator[str]:
    good = token()
    header = {"alg": "RS256", "kid": KID, "typ": "JWT"}
    now = int(time.time())
    claims = {"iss": "https://api.botframework.com", "aud": "x", "iat": now, "exp": now + 60}
    for _ in range(count):
        roll = rng.randrange(6)
        if roll == 0:
            text = str(rng.choice(fuzz.NASTY_STRINGS))
        elif roll == 1:  # a header or payload that is anything but what it should be
            head = mutated(rng, header) if rng.random() < 0.7 else fuzz.values(rng)
            body = mutated(rng, claims) if rng.random() < 0.7 else fuzz.values(rng)
            text = f"{segment(head)}.{segment(body)}.{segment(b'sig')}"
        elif roll == 2:  # our signature over other claims
            parts = good.split(".")
            text = f"{parts[0]}.{segment(mutated(rng, claims))}.{parts[2]}"
        elif roll == 3:  # a good token cut or with a byte changed
            cut = rng.randrange(len(good))
            # Never the character already there: that "changed" token would be the good one
            # (the signature, and so its characters, differ from run to run).
            changed = [c for c in "A.-_=!" if c != good[cut]]
            text = good[:cut] + rng.choice(changed) + good[cut + 1 :]
        elif roll == 4:
            text = ".".join(segment(bytes(rng.randrange(256) for _ in range(9))) for _ in range(3))
        else:
            alg = rng.choice(["none", "HS256", "HS512"])
            key = None if alg == "none" else "a-secret-of-at-least-64-bytes-" + "x" * 40
            kid = rng.choice([{}, {"kid": KID}, {"kid": str(rng.choice(fuzz.NASTY_STRINGS))}])
            text = jwt.encode(claims, key, algorithm=alg, headers=kid)
        # What an HTTP header can carry: printable ASCII.
        yield "".join(c for c in text if c.isascii() and c.isprintable()) or "x"
    yield jwt_signed_without_kid()


def jwt_signed_without_kid() -> str:
    now = int(time.time())
    return jwt.encode({"iat": now, "exp": now + 60}, OUR_KEY, algorithm="RS256")


@pytest.fixture
async def signed_teams(
    database_url: str, tmp_path: Path, clock: FakeClock, no_internet: None
) -> AsyncIterator[TeamsWorld]:
    async with serving_keys(), teams_world(database_url, tmp_path, clock, **signed_settings()) as w:
        yield w


async def test_fuzzed_tokens_get_401_never_500(
    signed_teams: TeamsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world = signed_teams
    rng = random.Random(fuzz.SEED + 1)  # noqa: S311 (repeatable cases, not secrets)
    activity = world.activity(STAFF, type="message", text="hello")
    for n, bearer in enumerate(hostile_tokens(rng, TOKEN_CASES)):
        scheme = rng.choice(["Bearer ", "Bearer ", "bearer ", "Basic ", "Bearer  ", ""])
        response = await world.post(activity, Authorization=f"{scheme}{bearer}")
        assert response.status == 401, (n, response.status)
        assert tracebacks(caplog) == [], n
    assert world.connector.sent == []


# Slack ------------------------------------------------------------------------------------


def slack_documents() -> list[tuple[str, dict[str, Any]]]:
    """(how it is sent, the payload): real-shaped requests of every kind the bot acts on."""
    now = int(time.time())
    user = {"id": SLACK_STAFF, "team_id": TEAM}
    dm_event = dm(event_id="Ev1", event_time=now)
    home = {**dm_event, "event": {"type": "app_home_opened", "user": SLACK_STAFF, "tab": "home"}}
    button = click()
    done = {
        **button,
        "state": {
            "values": {"b": {"c": {"type": "checkboxes", "selected_options": [{"value": "a"}]}}}
        },
        "actions": [{"type": "button", "action_id": "multi_done", "action_ts": "1.3"}],
    }
    shortcut = {
        "type": "shortcut",
        "callback_id": "report_concern",
        "user": user,
        "team": {"id": TEAM},
        "trigger_id": "1.2.4",
    }
    command = {
        "command": "/online-safety",
        "text": "report",
        "user_id": SLACK_STAFF,
        "team_id": TEAM,
        "channel_id": "C1",
        "trigger_id": "1.2.5",
    }
    return [
        ("json", dm_event),
        ("json", home),
        ("json", {"type": "url_verification", "challenge": "abc", "token": "t"}),
        ("payload", button),
        ("payload", done),
        ("payload", suggestion()),
        ("payload", shortcut),
        ("payload", {"type": "view_submission", "user": user, "view": {"id": "V1"}}),
        ("form", command),
    ]


def encode(how: str, document: Any) -> tuple[bytes, str]:
    if how == "json":
        return dumps(document), "application/json"
    form = "application/x-www-form-urlencoded"
    if how == "payload":
        return urlencode({"payload": dumps(document).decode("utf-8", "surrogatepass")}).encode(
            "utf-8", "surrogatepass"
        ), form
    if not isinstance(document, dict):
        document = {"text": document}
    fields = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in document.items()}
    return urlencode(fields, encoding="utf-8", errors="surrogatepass").encode(), form


def slack_requests(rng: random.Random, count: int) -> Iterator[tuple[bytes, str, dict[str, str]]]:
    documents = slack_documents()
    for text in fuzz.raw_bodies(rng, documents[0][1], 11):  # the two deep ones: over the limit
        yield text.encode("utf-8", "surrogatepass"), "application/json", {}
    yield b"payload=" + fuzz.deep_list(5_000).encode(), "application/x-www-form-urlencoded", {}
    for _ in range(count - 12):
        how, document = rng.choice(documents)
        body, content_type = encode(how, mutated(rng, document))
        headers: dict[str, str] = {}
        roll = rng.randrange(12)
        if roll == 0:
            headers["signature"] = rng.choice(["", "v0=", "v0=" + "0" * 64, "v1=abc", "\u00e9"])
        elif roll == 1:
            headers["timestamp"] = rng.choice(
                [str(int(time.time()) - 301), "-1", "1e9", "", "99999999999999999999", " 1"]
            )
        yield body, content_type, headers


@pytest.fixture
async def slack(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[SlackWorld]:
    async with running_slack_world(database_url, tmp_path, clock) as world:
        yield world


async def test_fuzzed_slack_requests_get_no_500_and_no_traceback(
    slack: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(fuzz.SEED + 2)  # noqa: S311 (repeatable cases, not secrets)
    statuses: dict[int, int] = {}
    for n, (body, content_type, headers) in enumerate(slack_requests(rng, SLACK_CASES)):
        headers = {k: "".join(c for c in v if c.isascii()) for k, v in headers.items()}
        response = await slack.post_bytes(body, content_type, **headers)
        assert response.status < 500, (n, response.status)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        assert tracebacks(caplog) == [], n
    await slack.settle()
    assert tracebacks(caplog) == []
    assert statuses.get(200, 0) > 0 and statuses.get(400, 0) > 0, statuses
    assert statuses.get(401, 0) > 0, statuses
