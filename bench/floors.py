"""Floors: what a chat turn cannot beat, measured on this machine in the same run.

- **echo**: a bare aiohttp websocket echo, server and client in one process on one event loop
  over loopback (as bench/turn_latency.py serves the bot): K clients, each sending a small JSON
  frame and waiting for its echo, again and again, all at once. Milliseconds from send to echo.
- **commit**: one INSERT + COMMIT, one after another, on the same kind of database the benchmark
  uses: SQLite in a temporary file, opened by the bot's own engine factory (its driver too)
  (`storage.db.create_engine`: WAL, synchronous=NORMAL, BEGIN IMMEDIATE), or the PostgreSQL
  URL given, in a scratch table this creates and drops (nothing else is touched).

    .venv/bin/python bench/floors.py [--concurrency K] [--database-url URL]

The benchmarks import `measure_floors` and print its lines after their own figures, with the
ratio of their p99 to the floor's (`floor_p99`: the echo's p99 at their concurrency plus one
commit's p99 for a chat turn, one commit's p99 for the alert path).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from common import percentile, write_json  # bench/ is on sys.path when run
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import create_engine

ECHO_TIMEOUT_S = 30.0  # one echo; far above any sane time, only so nothing hangs


@dataclass(frozen=True)
class Floor:
    """Percentiles (ms) of one floor."""

    name: str
    concurrency: int
    count: int
    p50: float
    p99: float

    def line(self) -> str:
        return (
            f"floor: {self.name} at {self.concurrency}: p50 {self.p50:.2f} ms, "
            f"p99 {self.p99:.2f} ms ({self.count} samples)"
        )


def _floor(name: str, concurrency: int, values: list[float]) -> Floor:
    return Floor(name, concurrency, len(values), percentile(values, 50), percentile(values, 99))


async def _echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for message in ws:
        if message.type == aiohttp.WSMsgType.TEXT:
            await ws.send_str(message.data)
    return ws


async def echo_floor(concurrency: int, rounds: int) -> Floor:
    """K clients, each sending `rounds` frames one after another and waiting for each echo."""
    app = web.Application()
    app.router.add_get("/ws", _echo)
    runner = web.AppRunner(app)
    await runner.setup()
    times: list[float] = []
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        url = f"http://{host}:{port}/ws"
        # limit=0: one connection per client, as each person's tab has its own.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            sockets = [await http.ws_connect(url, heartbeat=None) for _ in range(concurrency)]
            try:

                async def client(n: int, ws: aiohttp.ClientWebSocketResponse) -> None:
                    for i in range(rounds):
                        frame = json.dumps({"type": "text", "id": f"{n}-{i}", "text": "hello"})
                        started = time.perf_counter()
                        await ws.send_str(frame)
                        message = await ws.receive(timeout=ECHO_TIMEOUT_S)
                        times.append((time.perf_counter() - started) * 1000)
                        if message.type != aiohttp.WSMsgType.TEXT or message.data != frame:
                            raise RuntimeError(f"echo: got {message.type.name} back")

                await asyncio.gather(*(client(n, ws) for n, ws in enumerate(sockets)))
            finally:
                for ws in sockets:
                    await ws.close()
    finally:
        await runner.cleanup()
    return _floor("websocket echo", concurrency, times)


async def commit_floor(database_url: str, count: int) -> Floor:
    """`count` INSERT + COMMITs one after another, each its own transaction."""
    table = f"bench_floor_{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as folder:
        url = database_url or f"sqlite+aiosqlite:///{(Path(folder) / 'floor.db').as_posix()}"
        engine = create_engine(url)
        times: list[float] = []
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
                )
            insert = text(f"INSERT INTO {table} (id, body) VALUES (:id, :body)")  # noqa: S608
            body = "x" * 200  # about a small encrypted answer's size
            for n in range(count):
                started = time.perf_counter()
                async with engine.begin() as connection:
                    await connection.execute(insert, {"id": n + 1, "body": body})
                times.append((time.perf_counter() - started) * 1000)
        finally:
            try:
                async with engine.begin() as connection:
                    await connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
            finally:
                await engine.dispose()
    return _floor(f"one INSERT + COMMIT ({backend_name(database_url)})", 1, times)


def backend_name(database_url: str) -> str:
    return "SQLite" if not database_url else make_url(database_url).get_backend_name()


@dataclass(frozen=True)
class Floors:
    echo: Floor | None
    commit: Floor

    @property
    def p99(self) -> float:
        """The floor a measured p99 is compared with: echo (if any) + one commit."""
        return (self.echo.p99 if self.echo else 0.0) + self.commit.p99

    def lines(self, measured_p99: float) -> list[str]:
        shown = [f.line() for f in (self.echo, self.commit) if f is not None]
        what = "websocket echo p99 + one commit p99" if self.echo else "one commit p99"
        shown.append(f"floor p99 ({what}): {self.p99:.2f} ms")
        shown.append(f"ratio: measured p99 / floor p99 = {ratio(measured_p99, self.p99)}")
        return shown

    def as_dict(self) -> dict[str, object]:
        return {
            "echo_concurrency": self.echo.concurrency if self.echo else None,
            "echo_p50": self.echo.p50 if self.echo else None,
            "echo_p99": self.echo.p99 if self.echo else None,
            "commit_p50": self.commit.p50,
            "commit_p99": self.commit.p99,
            "floor_p99": self.p99,
        }


def ratio(measured: float, floor: float) -> str:
    return f"{measured / floor:.1f}" if floor > 0 else "n/a"


async def measure_floors(
    database_url: str, echo_concurrency: int | None, *, samples: int = 400
) -> Floors:
    """The floors for a benchmark at `echo_concurrency` (None: no websocket in its path):
    about `samples` echoes in all (at least 5 rounds per client) and `samples` commits."""
    echo = None
    if echo_concurrency is not None:
        rounds = max(5, samples // echo_concurrency)
        echo = await echo_floor(echo_concurrency, rounds)
    commit = await commit_floor(database_url, samples)
    return Floors(echo, commit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=1, help="echo clients at once (1)")
    parser.add_argument("--samples", type=int, default=1000, help="echoes and commits (1000)")
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL URL (default: SQLite in a temporary file)"
    )
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.samples < 1:
        parser.error("--concurrency and --samples must be at least 1")
    floors = asyncio.run(measure_floors(args.database_url, args.concurrency, samples=args.samples))
    for line in [f.line() for f in (floors.echo, floors.commit) if f is not None]:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())


def finish(
    args: argparse.Namespace, figures: dict[str, object], p99: float, *, concurrency: int | None
) -> int:
    """A scenario's ending, the same for each: its floors at the same concurrency and the ratio
    (unless --no-floors), then its figures as JSON for bench/suite.py (--json). Returns 0."""
    if not args.no_floors:
        floors = asyncio.run(measure_floors(args.database_url, concurrency))
        for line in floors.lines(p99):
            print(line)
        figures |= floors.as_dict()
    if args.json:
        write_json(Path(args.json), figures)
    return 0
