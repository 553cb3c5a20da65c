"""The README's reverse-proxy examples (docs/proxy/nginx.conf and docs/proxy/Caddyfile) run for
real: nginx and Caddy (Debian's `nginx-light` and `caddy`) started as processes on a free
loopback port, in front of the bot under test.

A test changes only what it must in an example: the port it listens on, the certificate (a
self-signed one for `safety.school.example`, made here), the bot's address, and where the proxy
keeps its files. Every other line is kept as it is written, which `templated` checks.

    cert = self_signed_certificate(tmp_path)
    async with running_proxy("nginx", tmp_path, port=port, cert=cert, upstream_port=bot) as nginx:
        ...  # https://safety.school.example:<port>, with the name mapped to 127.0.0.1

Without the proxy installed a test is skipped, or fails with REQUIRE_PROXIES=1 (CI).
"""

from __future__ import annotations

import asyncio
import datetime
import os
import re
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.settings import PROJECT_ROOT
from tests.support.net import free_port

README = PROJECT_ROOT / "README.md"
NGINX_EXAMPLE = PROJECT_ROOT / "docs" / "proxy" / "nginx.conf"
CADDY_EXAMPLE = PROJECT_ROOT / "docs" / "proxy" / "Caddyfile"
HOST = "safety.school.example"
# The examples' bot address, and where the nginx example's certificate is.
EXAMPLE_UPSTREAM = "127.0.0.1:3978"
EXAMPLE_CERT = f"/etc/letsencrypt/live/{HOST}/fullchain.pem"
EXAMPLE_KEY = f"/etc/letsencrypt/live/{HOST}/privkey.pem"
REQUIRED = os.environ.get("REQUIRE_PROXIES", "") not in {"", "0", "false"}
# Bounds on a broken start or stop; a working proxy is ready as soon as it accepts TLS.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
POLL_SECONDS = 0.05
PROXIES = {"nginx": "nginx", "caddy": "caddy"}  # the name a test is given: the program
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def readme_blocks(language: str) -> list[str]:
    """The README's fenced code blocks in `language`, each as a file would hold it."""
    text = README.read_text(encoding="utf-8")
    return [body for lang, body in _FENCE.findall(text) if lang == language]


def program(name: str) -> str:
    """The proxy's executable: skipped without it, failed with REQUIRE_PROXIES=1."""
    found = shutil.which(PROXIES[name]) or (
        f"/usr/sbin/{PROXIES[name]}" if Path(f"/usr/sbin/{PROXIES[name]}").exists() else None
    )
    if found is None:
        message = (
            f"{PROXIES[name]} not found: install it (apt-get install nginx-light caddy) "
            "to run the reverse-proxy examples"
        )
        if REQUIRED:
            pytest.fail(f"REQUIRE_PROXIES=1 but {message}")
        pytest.skip(message)
    return found


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


def self_signed_certificate(directory: Path, host: str = HOST) -> Certificate:
    """A certificate for `host`, signed by itself (the browser is told to accept it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / f"{host}.crt", directory / f"{host}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return Certificate(cert_path, key_path)


def templated(example: str, changes: Sequence[tuple[str, str]]) -> str:
    """The example with each `old` text (found exactly once, within one line) changed to `new`:
    every line without one of them is kept as it is, in its place."""
    text = example
    for old, new in changes:
        count = text.count(old)
        assert count == 1, f"{old!r} is in the example {count} times, not once"
        assert "\n" not in old and "\n" not in new
        text = text.replace(old, new)
    before_lines, after_lines = example.splitlines(), text.splitlines()
    assert len(before_lines) == len(after_lines)
    for was, now in zip(before_lines, after_lines, strict=True):
        if was != now:
            assert any(old in was for old, _ in changes), f"{was!r} changed to {now!r}"
    return text


def nginx_site(example: str, *, port: int, cert: Certificate, upstream_port: int) -> str:
    """docs/proxy/nginx.conf as a test runs it: on 127.0.0.1:<port>, with the test's
    certificate, in front of the bot on `upstream_port`."""
    return templated(
        example,
        [
            ("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;"),
            (EXAMPLE_CERT, str(cert.cert)),
            (EXAMPLE_KEY, str(cert.key)),
            (
                f"proxy_pass http://{EXAMPLE_UPSTREAM};",
                f"proxy_pass http://127.0.0.1:{upstream_port};",
            ),
        ],
    )


def caddy_site(example: str, *, cert: Certificate, upstream_port: int) -> str:
    """docs/proxy/Caddyfile as a test runs it: the test's certificate instead of one from Let's
    Encrypt (a `tls` line added to the site), in front of the bot on `upstream_port`. The port
    is set in the global options (`caddy_globals`), so the site's address stays as written."""
    site = templated(
        example,
        [(f"reverse_proxy {EXAMPLE_UPSTREAM}", f"reverse_proxy 127.0.0.1:{upstream_port}")],
    )
    opening = f"{HOST} {{\n"
    assert site.count(opening) == 1, f"the Caddyfile has no one site block {opening!r}"
    return site.replace(opening, f"{opening}\ttls {cert.cert} {cert.key}\n")


def caddy_globals(*, https_port: int, http_port: int, storage: Path) -> str:
    """Caddy's global options for a test: no admin endpoint, no certificate authority, its
    ports, and nothing written outside the test's directory."""
    return (
        "{\n"
        "\tadmin off\n"
        "\tskip_install_trust\n"
        "\tauto_https disable_redirects\n"
        "\tdefault_bind 127.0.0.1\n"
        f"\thttp_port {http_port}\n"
        f"\thttps_port {https_port}\n"
        f"\tstorage file_system {storage}\n"
        "}\n\n"
    )


def _compiled_without(nginx: str) -> set[str]:
    built = subprocess.run([nginx, "-V"], capture_output=True, text=True, check=True).stderr
    return set(re.findall(r"--without-http_(\w+)_module", built))


def nginx_main(directory: Path, site: Path, *, nginx: str) -> str:
    """The nginx.conf around the example (a conf.d file, as Debian's would include it): its
    pid, logs and temporary files in `directory`."""
    without = _compiled_without(nginx)
    temp_paths = "".join(
        f"    {module}_temp_path {directory / module};\n"
        for module in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        if module == "client_body" or module not in without
    )
    return (
        f"pid {directory / 'nginx.pid'};\n"
        "error_log stderr notice;\n"
        "events {\n    worker_connections 128;\n}\n"
        "http {\n"
        f"    access_log {directory / 'access.log'};\n"
        f"{temp_paths}"
        f"    include {site};\n"
        "}\n"
    )


@dataclass
class RunningProxy:
    """A proxy serving https://safety.school.example:<port> on 127.0.0.1; `config` is what it
    runs, `output` what it said on stderr and stdout."""

    name: str
    port: int
    config: str
    process: asyncio.subprocess.Process
    output: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"https://{HOST}:{self.port}"


class ProxyDidNotStart(RuntimeError):
    pass


@dataclass(frozen=True)
class Launch:
    """How to start a proxy: its command, the environment (None: the test's), what it runs."""

    command: list[str]
    env: dict[str, str] | None
    config: str


def nginx_launch(directory: Path, *, port: int, cert: Certificate, upstream_port: int) -> Launch:
    """docs/proxy/nginx.conf, run by nginx in the foreground (one process, no daemon), its
    files in `directory`."""
    nginx = program("nginx")
    directory.mkdir(parents=True, exist_ok=True)
    site = nginx_site(
        NGINX_EXAMPLE.read_text(encoding="utf-8"), port=port, cert=cert, upstream_port=upstream_port
    )
    site_file = directory / "online-safety.conf"
    site_file.write_text(site, encoding="utf-8")
    main_file = directory / "nginx.conf"
    main_file.write_text(nginx_main(directory, site_file, nginx=nginx), encoding="utf-8")
    command = [nginx, "-p", f"{directory}/", "-c", str(main_file), "-e", "stderr"]
    return Launch([*command, "-g", "daemon off; master_process off;"], None, site)


def caddy_launch(directory: Path, *, port: int, cert: Certificate, upstream_port: int) -> Launch:
    """docs/proxy/Caddyfile, run by `caddy run` with the test's global options, its files (and
    its idea of home) in `directory`."""
    caddy = program("caddy")
    directory.mkdir(parents=True, exist_ok=True)
    site = caddy_site(
        CADDY_EXAMPLE.read_text(encoding="utf-8"), cert=cert, upstream_port=upstream_port
    )
    config = (
        caddy_globals(https_port=port, http_port=free_port(), storage=directory / "data") + site
    )
    config_file = directory / "Caddyfile"
    config_file.write_text(config, encoding="utf-8")
    env = dict(os.environ) | {
        "HOME": str(directory),
        "XDG_CONFIG_HOME": str(directory / "config"),
        "XDG_DATA_HOME": str(directory / "data"),
    }
    command = [caddy, "run", "--config", str(config_file), "--adapter", "caddyfile"]
    return Launch(command, env, config)


@asynccontextmanager
async def running_proxy(
    name: str, directory: Path, *, port: int, cert: Certificate, upstream_port: int
) -> AsyncIterator[RunningProxy]:
    """The example for `name` (nginx or caddy) serving on 127.0.0.1:<port>, in front of the bot
    on `upstream_port`; stopped on the way out."""
    launch = {"nginx": nginx_launch, "caddy": caddy_launch}[name]
    how = launch(directory, port=port, cert=cert, upstream_port=upstream_port)
    async with _running(name, how, port=port) as proxy:
        yield proxy


@asynccontextmanager
async def _running(name: str, how: Launch, *, port: int) -> AsyncIterator[RunningProxy]:
    process = await asyncio.create_subprocess_exec(
        *how.command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=how.env,
    )
    output: list[str] = []
    readers = [
        asyncio.create_task(_collect(process.stdout, output)),
        asyncio.create_task(_collect(process.stderr, output)),
    ]
    try:
        why = await _wait_until_serving(process, port)
        if why is None:
            yield RunningProxy(name, port, how.config, process, output)
    finally:
        await _stop(process)
        for reader in readers:  # its pipes close as it ends: they have its last words
            with suppress(asyncio.CancelledError):
                await reader
    if why is not None:
        raise ProxyDidNotStart(f"{name} did not start: {why}:\n" + "\n".join(output))


async def _collect(stream: asyncio.StreamReader | None, into: list[str]) -> None:
    assert stream is not None
    async for line in stream:
        into.append(line.decode(errors="replace").rstrip())


def client_tls() -> ssl.SSLContext:
    """TLS that accepts the test's self-signed certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _wait_until_serving(process: asyncio.subprocess.Process, port: int) -> str | None:
    """Until a TLS handshake for safety.school.example succeeds on the port: None, or why it
    did not (it exited, or it took too long)."""
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while process.returncode is None:
                try:
                    _, writer = await asyncio.open_connection(
                        "127.0.0.1", port, ssl=client_tls(), server_hostname=HOST
                    )
                except (OSError, ssl.SSLError):
                    # Not listening yet, or not yet serving the certificate: ask again.
                    with suppress(TimeoutError):
                        async with asyncio.timeout(POLL_SECONDS):
                            await process.wait()
                    continue
                writer.close()
                with suppress(OSError, ssl.SSLError):
                    await writer.wait_closed()
                return None
            return f"it exited with {process.returncode}"
    except TimeoutError:
        return f"it did not accept TLS on 127.0.0.1:{port} within {START_TIMEOUT:.0f} s"


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
