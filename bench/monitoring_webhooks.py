"""Monitoring provider webhooks under load: N signed alerts posted over loopback, C at a time,
to the real bot in a process of its own (`python -m bot run`, the example school with one
provider set up), on SQLite in a temporary folder or on --database-url.

The alerts are for N/G accounts, G alerts each, in one category and hour, sent shuffled so the
alerts of one group arrive at the same time: each group must end as one report with a count of
G and one alert per member of the DSL team. Prints the acceptance time per request (send to
answer: p50, p90, p99, max), the throughput, what the database holds afterwards (counted: zero
lost means every alert sent is a row, in the group its answer named) and the bot's resident
memory (VmRSS, and the peak VmHWM) after start and after the run.

    .venv/bin/python bench/monitoring_webhooks.py [--alerts N] [--concurrency C] [--group G]
                                                  [--database-url URL [--reset-schema]]

Exit status: 0 when every alert was accepted and counted and every group is right, 1 when not
(or the run passed --max-seconds; the reason is printed), 2 for bad arguments. Timings never
change the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from common import BenchFailure, percentile, reset_schema, run_bounded  # bench/ on sys.path
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.monitoring.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from bot.settings import PROJECT_ROOT, Settings
from storage.models import MonitoringAlert, MonitoringGroup, Outbox, Report

PROVIDER = "bench-monitor"
SECRET_ENV = "MONITORING_BENCH_MONITOR_SECRET"  # noqa: S105 (a variable's name)
SECRET = "the bench provider's shared secret"  # noqa: S105 (the bench's own, made up)
TEAM = 3  # the example school's DSL and two deputies: the first level of every alert
START_TIMEOUT_S = 120.0


class BotProcess:
    """`python -m bot run` in a process of its own (as bench/scale.py starts it), its output
    in a log file; its settings only from `env`."""

    def __init__(
        self, folder: Path, database_url: str, school: Path, profile: str | None = None
    ) -> None:
        self.profile = profile
        ours = {name.upper() for name in Settings.model_fields}
        self.env = {k: v for k, v in os.environ.items() if k.upper() not in ours}
        self.env.update(
            DATA_DIR=str(folder / "data"),
            DATABASE_URL=database_url,
            SCHOOL_CONFIG=str(school),
            WEB_CHAT_ENABLED="true",
            LOG_LEVEL="WARNING",
            **{SECRET_ENV: SECRET},
        )
        self.folder, self.log = folder, folder / "bot.log"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        command = [sys.executable]
        if self.profile:
            command += ["-m", "cProfile", "-o", self.profile]
        command += ["-m", "bot", "run", "--host", "127.0.0.1"]
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                *command,
                "--port",
                str(self.port),
                env=self.env,
                cwd=self.folder,  # no stray .env file is read
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            while time.monotonic() < deadline:
                self.check_alive()
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(f"{self.base_url}/readyz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise BenchFailure(f"the bot was not ready within {START_TIMEOUT_S:g} s")

    def check_alive(self) -> None:
        if self.process is not None and self.process.returncode is not None:
            tail = self.log.read_text(errors="replace").splitlines()[-10:]
            raise BenchFailure(f"the bot exited ({self.process.returncode}): " + " | ".join(tail))

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGINT)  # run_app's graceful shutdown
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak) of a process, in kB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            fields[key] = int(value.split()[0])
    return fields


def write_school(folder: Path) -> Path:
    data = yaml.safe_load((PROJECT_ROOT / "config" / "school.example.yaml").read_text())
    data["monitoring"] = {
        "providers": {
            PROVIDER: {
                "mapping": {
                    "id": "$.id",
                    "severity": "$.level",
                    "category": "$.category",
                    "user": "$.user",
                    "device": "$.device",
                    "time": "$.at",
                    "description": "$.summary",
                    "console_url": "$.console",
                },
                "severity_map": {"low": "low", "medium": "medium", "high": "high"},
            }
        }
    }
    path = folder / "school.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def bodies(alerts: int, group: int) -> list[tuple[str, bytes]]:
    """(account, body) per alert: N/G accounts of G alerts each, shuffled."""
    at = datetime.now(UTC).replace(minute=0, second=0, microsecond=0).isoformat()
    made = []
    for n in range(alerts):
        account = f"pupil{n // group:05d}"
        document = {
            "id": f"bench-{n}",
            "level": "high",
            "category": "self-harm",
            "user": account,
            "device": f"LIB-PC-{n % 30:02d}",
            "at": at,
            "summary": "Searched for ways to hurt themselves",
            "console": f"https://console.monitor.example/captures/{n}",
        }
        made.append((account, json.dumps(document).encode()))
    random.Random(18).shuffle(made)
    return made


async def post_all(
    base_url: str, made: list[tuple[str, bytes]], concurrency: int
) -> tuple[list[float], Counter[int], dict[str, set[str]]]:
    """Post every body, `concurrency` at a time: the seconds each took, the statuses, and the
    references each account's alerts were answered with."""
    times: list[float] = []
    statuses: Counter[int] = Counter()
    references: dict[str, set[str]] = {}
    queue = list(reversed(made))
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    url = f"{base_url}/api/monitoring/{PROVIDER}"
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def worker() -> None:
            while queue:
                account, body = queue.pop()
                stamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json",
                    TIMESTAMP_HEADER: stamp,
                    SIGNATURE_HEADER: signature(SECRET, stamp, body),
                }
                started = time.perf_counter()
                async with http.post(url, data=body, headers=headers) as response:
                    answer = await response.json()
                times.append(time.perf_counter() - started)
                statuses[response.status] += 1
                if answer.get("ok"):
                    references.setdefault(account, set()).add(answer["reference"])

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return times, statuses, references


async def counted(database_url: str) -> dict[str, Any]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            alerts = await connection.scalar(select(func.count()).select_from(MonitoringAlert))
            reports = await connection.scalar(
                select(func.count()).select_from(Report).where(Report.kind == "monitoring_alert")
            )
            counts = list(await connection.scalars(select(MonitoringGroup.count)))
            first_alerts = await connection.scalar(
                select(func.count())
                .select_from(Outbox)
                .where(Outbox.kind == "alert", Outbox.level == 0)
            )
    finally:
        await engine.dispose()
    return {"alerts": alerts, "reports": reports, "counts": counts, "first_alerts": first_alerts}


async def bench(folder: Path, args: argparse.Namespace) -> bool:
    database_url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bot.db'}"
    if args.reset_schema:
        await reset_schema(database_url)
    made = bodies(args.alerts, args.group)
    process = BotProcess(folder, database_url, write_school(folder), args.profile)
    await process.start()
    try:
        rss_start = memory_kb(process.pid)
        started = time.perf_counter()
        times, statuses, references = await post_all(process.base_url, made, args.concurrency)
        elapsed = time.perf_counter() - started
        process.check_alive()
        rss_after = memory_kb(process.pid)
    finally:
        await process.stop()
    found = await counted(database_url)
    groups = args.alerts // args.group
    ms = [t * 1000 for t in times]
    name = make_url(database_url).get_backend_name()
    print(f"monitoring webhooks: {args.alerts} alerts, {args.concurrency} at a time, {name}")
    print(
        f"  acceptance (ms): p50 {percentile(ms, 50):.1f}  p90 {percentile(ms, 90):.1f}  "
        f"p99 {percentile(ms, 99):.1f}  max {max(ms):.1f}"
    )
    print(f"  throughput: {args.alerts / elapsed:.0f} alerts/s ({elapsed:.1f} s)")
    print(f"  answers: {dict(sorted(statuses.items()))} (201 filed, 200 grouped)")
    print(
        f"  stored: {found['alerts']} alerts, {found['reports']} reports, "
        f"{found['first_alerts']} first-level alert rows"
    )
    print(
        f"  bot RSS (MB): after start {rss_start['VmRSS'] / 1000:.1f}, after the run "
        f"{rss_after['VmRSS'] / 1000:.1f}, peak {rss_after['VmHWM'] / 1000:.1f}"
    )
    problems = []
    if statuses != Counter({201: groups, 200: args.alerts - groups}):
        problems.append(f"answers {dict(statuses)}, expected {groups} filed and the rest grouped")
    if found["alerts"] != args.alerts:
        problems.append(f"lost: {args.alerts - found['alerts']} alerts not stored")
    if found["reports"] != groups or sorted(found["counts"]) != [args.group] * groups:
        problems.append(f"grouping: {found['reports']} reports, counts {Counter(found['counts'])}")
    if any(len(refs) != 1 for refs in references.values()) or len(references) != groups:
        problems.append("an account's alerts were answered with more than one reference")
    if found["first_alerts"] != groups * TEAM:
        problems.append(f"{found['first_alerts']} first alerts, expected {groups * TEAM}")
    print(f"  zero lost, grouping correct: {'yes' if not problems else 'NO'}")
    if problems:
        raise BenchFailure("; ".join(problems))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--group", type=int, default=50, help="alerts per account (one group)")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--reset-schema", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--profile", help="write the bot process's cProfile stats to this file")
    args = parser.parse_args(argv)
    if args.alerts < 1 or args.concurrency < 1 or args.group < 1 or args.alerts % args.group:
        parser.error(
            "--alerts, --concurrency and --group must be positive, and --alerts a "
            "multiple of --group"
        )
    if args.reset_schema and not args.database_url.startswith("postgresql"):
        parser.error("--reset-schema is for a PostgreSQL --database-url only")
    done = run_bounded(
        lambda folder: bench(folder, args), prefix="osb-monitoring-", max_seconds=args.max_seconds
    )
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
