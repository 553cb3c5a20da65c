"""A real OpenID provider on loopback for the sign-in tests: node-oidc-provider (npm
`oidc-provider`, certified, pinned in tests/oidc/provider/package-lock.json; `make oidc-provider`
installs it), run by tests/oidc/provider/provider.mjs with the clients and accounts a test gives.

    async with running_oidc_provider(
        clients=[{"client_id": "bot", "client_secret": "...", "redirect_uris": [callback]}],
        accounts={"a.hartley": {"claims": {"email": "a.hartley@example.org", "tid": TENANT},
                                "amr": ["pwd", "mfa"], "acr": None}},
    ) as provider:
        ...  # provider.issuer is http://127.0.0.1:<port>

A client may also name its `token_endpoint_auth_method` (`client_secret_basic`, the default, or
`client_secret_post`): the provider holds each client to the one it registered. PKCE (S256) is
always required. An account's `claims` go into the ID token as they are (sub is the login): `tid`,
`hd`, `upn`, `amr` and `acr` always, `email` and `email_verified` with the `email` scope, `name`
and `preferred_username` with `profile`; `auth_time` and the request's `nonce` always.

Its login page is a form with one field, `login` (an account's key), and a button "Sign in";
consent is given without asking. `sign_in_at_provider` fills that form over HTTP, without a
browser, and hands back the redirect to the client (with `code` and `state`) without following it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc" / "provider"
SCRIPT = PROVIDER_DIR / "provider.mjs"
INSTALLED = PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json"
REQUIRED = os.environ.get("REQUIRE_OIDC_PROVIDER") == "1"
# Generous: Node's start and a 2048-bit RSA key on a loaded two-core machine. It ends as soon as
# the provider prints READY; it only bounds how long a broken start is waited for.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
MAX_REDIRECTS = 20


def missing() -> str | None:
    """Why the provider cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs npm)"
    if not INSTALLED.exists():
        return f"oidc-provider is not installed ({INSTALLED}); run `make oidc-provider`"
    return None


def skip_or_fail_without_provider() -> None:
    """Skip the test where the provider cannot run, or fail it with REQUIRE_OIDC_PROVIDER=1 (CI)."""
    if (why := missing()) is None:
        return
    if REQUIRED:
        pytest.fail(f"REQUIRE_OIDC_PROVIDER=1 but {why}")
    pytest.skip(f"the OpenID provider cannot run here: {why}")


@dataclass
class OidcProvider:
    """One running provider. `output` is what it wrote on stderr (its warnings and errors)."""

    issuer: str
    process: asyncio.subprocess.Process
    output: list[str] = field(default_factory=list)

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


class ProviderDidNotStart(RuntimeError):
    pass


@asynccontextmanager
async def running_oidc_provider(
    *,
    clients: Sequence[Mapping[str, Any]],
    accounts: Mapping[str, Mapping[str, Any]],
    id_token_ttl_seconds: int | None = None,
    port: int = 0,
) -> AsyncIterator[OidcProvider]:
    """Start the provider (on `port`, or any free one) and stop it on the way out. Call
    `skip_or_fail_without_provider()` first where it may not be installed."""
    config: dict[str, Any] = {
        "issuer_port": port,
        "clients": [dict(c) for c in clients],
        "accounts": {login: dict(a) for login, a in accounts.items()},
    }
    if id_token_ttl_seconds is not None:
        config["id_token_ttl_seconds"] = id_token_ttl_seconds
    with tempfile.TemporaryDirectory(prefix="oidc-provider-") as directory:
        config_file = Path(directory) / "config.json"
        config_file.write_text(json.dumps(config))
        process = await asyncio.create_subprocess_exec(
            "node",
            str(SCRIPT),
            str(config_file),
            cwd=PROVIDER_DIR,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        output: list[str] = []
        stderr = asyncio.create_task(_collect(process.stderr, output))
        stdout: asyncio.Task[None] | None = None
        try:
            issuer = await _wait_until_ready(process, stderr, output)
            stdout = asyncio.create_task(_collect(process.stdout, output))
            yield OidcProvider(issuer, process, output)
        finally:
            await _stop(process)
            for task in (stderr, stdout):
                if task is not None:
                    with suppress(asyncio.CancelledError):
                        await task


async def _collect(stream: asyncio.StreamReader | None, into: list[str]) -> None:
    assert stream is not None
    async for line in stream:
        into.append(line.decode(errors="replace").rstrip())


async def _wait_until_ready(
    process: asyncio.subprocess.Process, stderr: asyncio.Task[None], output: list[str]
) -> str:
    """The issuer from its `READY <issuer>` line, or why it did not start."""
    assert process.stdout is not None
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while line := (await process.stdout.readline()).decode(errors="replace"):
                if line.startswith("READY "):
                    return line.removeprefix("READY ").strip()
                output.append(line.rstrip())
            await process.wait()  # it closed its stdout: it is ending
            await stderr
            why = f"it exited with {process.returncode}"
    except TimeoutError:
        why = f"it did not say READY within {START_TIMEOUT:.0f} s"
    await _stop(process)
    raise ProviderDidNotStart(f"the OpenID provider did not start: {why}: " + "\n".join(output))


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


def browserless_session() -> aiohttp.ClientSession:
    """An HTTP client session that keeps the provider's cookies (its host is an IP address, which
    aiohttp's default cookie jar ignores): what `sign_in_at_provider` needs."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


@dataclass(frozen=True)
class LoginForm:
    """The provider's login page: where its form posts, and the error it shows, if any."""

    action: str
    error: str | None
    html: str


class SignInFailed(AssertionError):
    pass


_FORM_ACTION = re.compile(r'<form[^>]*\baction="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"/?>')
_LOGIN_INPUT = 'id="login"'
_ERROR = re.compile(r'<p role="alert"[^>]*>([^<]*)</p>')


async def follow_authorize(http: aiohttp.ClientSession, authorize_url: str) -> LoginForm | str:
    """Open the authorisation URL and follow the provider's redirects: its login form, or (when
    it has a session for this cookie jar and nothing asks for a login) the redirect to the
    client, not followed."""
    return await _follow(http, "GET", URL(authorize_url), None, URL(authorize_url).origin())


async def submit_login(http: aiohttp.ClientSession, form: LoginForm, login: str) -> LoginForm | str:
    """Send the login form: the redirect to the client once signed in (not followed), or the
    form again with its error (an unknown login)."""
    action = URL(form.action)
    return await _follow(http, "POST", action, {"login": login}, action.origin())


async def sign_in_at_provider(http: aiohttp.ClientSession, authorize_url: str, login: str) -> str:
    """Sign in as `login` from the authorisation URL and return the provider's redirect to the
    client's redirect URI (with `code` and `state`, or an `error`), without requesting it. The
    session's cookie jar must take cookies from an IP address (`browserless_session()`). Fails if
    the provider does not show its login form (it had a session already) or refuses the login."""
    page = await follow_authorize(http, authorize_url)
    if not isinstance(page, LoginForm):
        raise SignInFailed(f"the provider did not ask for a login; it sent the browser to {page}")
    landed = await submit_login(http, page, login)
    if isinstance(landed, LoginForm):
        raise SignInFailed(f"the provider refused the login {login!r}: {landed.error}")
    return landed


async def _follow(
    http: aiohttp.ClientSession,
    method: str,
    url: URL,
    form: dict[str, str] | None,
    provider: URL,
) -> LoginForm | str:
    for _ in range(MAX_REDIRECTS):
        async with http.request(method, url, data=form, allow_redirects=False) as answer:
            location = answer.headers.get("Location")
            body = await answer.text()
            status = answer.status
        if location is None:
            action = _FORM_ACTION.search(body) if status == 200 else None
            if action is None:
                raise SignInFailed(f"the provider answered {status} at {url}: {body[:500]}")
            target = url.join(URL(unescape(action.group(1))))
            if _LOGIN_INPUT in body:
                error = _ERROR.search(body)
                return LoginForm(
                    action=str(target),
                    error=unescape(error.group(1)) if error else None,
                    html=body,
                )
            # A form its script submits at once (signing in as someone else than its session's
            # person goes through its logout confirmation): submit it, as a browser would.
            if target.origin() != provider:
                raise SignInFailed(f"the provider posts a form to {target}; not followed")
            url, method = target, "POST"
            form = {unescape(k): unescape(v) for k, v in _HIDDEN.findall(body)}
            continue
        target = URL(location)
        url = target if target.is_absolute() else url.join(target)
        if url.origin() != provider:
            return location if target.is_absolute() else str(url)
        method, form = "GET", None
    raise SignInFailed(f"more than {MAX_REDIRECTS} redirects from the provider, at {url}")
