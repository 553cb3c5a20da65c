"""A burst: N people signed in with their tab open, all at the same step of a concern, press
Send together.

Starts the real bot in-process on 127.0.0.1 as bench/turn_latency.py does (its server, client
and script), with the example school plus N generated members of staff (bench/scale_seed.py's
school file), on SQLite in a temporary folder or on --database-url. Each person signs in, opens
the web chat and walks the concern to --at (untimed, a few at a time); then one asyncio.Event
releases them all, and each sends the answer to that step. Each reply is timed from its send to
its reply frame; a reply that is an error or asks the wrong next step is an error, one that
does not come within --timeout a timeout. Prints p50/p99/max, the errors and timeouts, then the
floors at the same concurrency (bench/floors.py) and the ratio.

    .venv/bin/python bench/burst.py [--people 200] [--at pupils] [--database-url URL]

Exit status: 0 when the run went as scripted (every person signed in and reached the step, and
at least one reply came; errors and timeouts in the burst are results, printed and counted), 1
when it did not, 2 for bad arguments. Timings never change the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from common import (  # bench/ is on sys.path when run
    BenchFailure,
    percentile,
    reset_schema,
    run_bounded,
)
from floors import backend_name, finish
from sqlalchemy.engine import make_url
from turn_latency import (  # the same web chat client, script and server
    SCRIPT,
    ChatClient,
    _asked,
    _people,
    bench_settings,
    school_for,
    serving,
)

from bot.app import build_bot

SETUP_AT_ONCE = 8  # people signing in and walking to the step at the same time (untimed)


@dataclass
class Results:
    reply_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    timeouts: int = 0
    setup_s: float = 0.0
    wall_s: float = 0.0


async def bench(args: argparse.Namespace, data_dir: Path) -> Results:
    if args.database_url and args.reset_schema:
        await reset_schema(args.database_url)
    index = next(i for i, step in enumerate(SCRIPT) if step.answers == args.at)
    before, pressed = SCRIPT[:index], SCRIPT[index]
    school = school_for(args.people, data_dir)
    bot = build_bot(bench_settings(data_dir, args.database_url, school))
    results = Results()
    clients: list[ChatClient] = []
    async with serving(bot) as base_url:
        try:
            run_id = uuid.uuid4().hex[:8]
            clients = [ChatClient(base_url, email, run_id) for email in _people(bot, args.people)]
            gate = asyncio.Semaphore(SETUP_AT_ONCE)
            started = time.perf_counter()

            async def walk(client: ChatClient) -> None:
                async with gate:
                    await client.open()
                    for step in before:
                        _, reply = await client.turn(step)
                        if _asked(reply) != step.expect:
                            raise BenchFailure(
                                f"{client.email}: after {step.answers!r} the bot asks "
                                f"{_asked(reply)!r}, expected {step.expect!r}"
                            )

            await asyncio.gather(*(walk(c) for c in clients))
            results.setup_s = time.perf_counter() - started
            go = asyncio.Event()

            async def press(client: ChatClient) -> None:
                await go.wait()
                try:
                    async with asyncio.timeout(args.timeout):
                        elapsed_ms, reply = await client.turn(pressed)
                except TimeoutError:
                    results.timeouts += 1
                    return
                except BenchFailure as failure:
                    results.errors.append(str(failure))
                    return
                if _asked(reply) != pressed.expect:
                    results.errors.append(
                        f"{client.email}: the reply asks {_asked(reply)!r}, "
                        f"expected {pressed.expect!r}"
                    )
                    return
                results.reply_ms.append(elapsed_ms)

            tasks = [asyncio.create_task(press(c)) for c in clients]
            await asyncio.sleep(0)  # every task is now waiting at the gate
            started = time.perf_counter()
            go.set()
            await asyncio.gather(*tasks)
            results.wall_s = time.perf_counter() - started
        finally:
            for client in clients:
                await client.close()
    if not results.reply_ms:
        raise BenchFailure(f"no reply at all in the burst: {results.errors[:3]}")
    return results


def report(args: argparse.Namespace, results: Results) -> None:
    shown = (
        make_url(args.database_url).render_as_string(hide_password=True)
        if args.database_url
        else "SQLite in a temporary folder, deleted afterwards"
    )
    times = results.reply_ms
    print("burst: N people at the same step press Send together (web chat, in-process server)")
    print(f"database: {shown}")
    print(
        f"people: {args.people}, each signed in, tab open, at step {args.at!r} "
        f"(reached in {results.setup_s:.1f} s, untimed)"
    )
    print(
        f"replies: {len(times)} of {args.people} in {results.wall_s:.2f} s | errors: "
        f"{len(results.errors)} | timeouts (> {args.timeout:g} s): {results.timeouts}"
    )
    for error in results.errors[:5]:
        print(f"  error: {error[:300]}")
    print(
        f"per reply (ms): p50 {percentile(times, 50):8.2f}  p99 {percentile(times, 99):8.2f}  "
        f"max {max(times):8.2f}"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200, help="people pressing (default 200)")
    steps = [step.answers for step in SCRIPT]
    parser.add_argument(
        "--at",
        default="pupils",
        choices=steps,
        help="the step everyone answers at once (default pupils: a typed answer and Send)",
    )
    parser.add_argument(
        "--timeout", type=float, default=25.0, help="seconds a reply may take (default 25)"
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="SQLAlchemy URL (default: SQLite in a temporary folder); use an empty database",
    )
    parser.add_argument(
        "--reset-schema",
        action="store_true",
        help="PostgreSQL only: DROP SCHEMA public CASCADE and recreate it first (destroys data)",
    )
    parser.add_argument(
        "--max-seconds", type=float, default=900, help="give up after this long (default 900)"
    )
    parser.add_argument("--no-floors", action="store_true", help="skip the floors")
    parser.add_argument("--json", metavar="FILE", help="also write the headline figures as JSON")
    args = parser.parse_args(argv)
    if args.people < 1 or args.timeout <= 0 or args.max_seconds <= 0:
        parser.error("--people >= 1; --timeout, --max-seconds > 0")
    if args.reset_schema and (
        not args.database_url or make_url(args.database_url).get_backend_name() != "postgresql"
    ):
        parser.error("--reset-schema needs a postgresql --database-url")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    outcome = run_bounded(
        lambda folder: bench(args, folder), prefix="burst-", max_seconds=args.max_seconds
    )
    if outcome is None:
        return 1
    report(args, outcome)
    p99 = percentile(outcome.reply_ms, 99)
    figures: dict[str, object] = {
        "p50": percentile(outcome.reply_ms, 50),
        "p99": p99,
        "count": len(outcome.reply_ms),
        "errors": len(outcome.errors) + outcome.timeouts,
        "timeouts": outcome.timeouts,
        "people": args.people,
        "database": backend_name(args.database_url),
    }
    return finish(args, figures, p99, concurrency=args.people)


if __name__ == "__main__":
    sys.exit(main())
