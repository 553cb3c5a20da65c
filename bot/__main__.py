"""`python -m bot`: start the bot, migrate the database, check the configuration or the log,
back up or restore the database, rotate the encryption key, show a flow as the bot runs it."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from pydantic import ValidationError

from bot import team_reports
from bot.app import Bot, SchoolNotFound, TrustNotServed, build_bot, prepare_storage
from bot.data_dir import DataDirError, secure_data_dir
from bot.logs import configure as configure_logging
from bot.running_file import ask_to_reload, running_bot, running_file
from bot.school.config import SchoolConfigError
from bot.school.trust import TrustConfigError
from bot.server import create_app, event_loop
from bot.settings import Settings
from bot.single_process import AlreadyRunning, ProcessLock
from dialogs.loader import BUILTIN_FLOWS, FlowError, flow_yaml, load_flows
from storage.crypto import CipherError

if TYPE_CHECKING:
    pass

_EPILOG = "environment variables (also read from a .env file):\n" + "\n".join(
    f"  {name.upper():<28} {field.description}" for name, field in Settings.model_fields.items()
)


# The commands that report on one school (its file, its records).
ONE_SCHOOLS_COMMANDS = frozenset({"oncall", "summary", "review"})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=(
            "The online-safety bot: staff report online-safety concerns and filtering failures "
            "to the DSL in chat. With no command it migrates the database and starts the server "
            "(the web chat on http://HOST:PORT/)."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=[
            "run",
            "migrate",
            "check",
            "verify-log",
            "backup",
            "restore",
            "rotate-key",
            "flows",
            "oncall",
            "summary",
            "review",
            "reload",
        ],
        help="run (default): start the server; migrate: bring the database schema up to date; "
        "check: validate the school configuration and flow files, then exit; "
        "verify-log: check that no entry of the event log was changed or deleted, and that "
        "every report (its answers, reporter, reference, kind, category, urgency) is as the log "
        "recorded it and none was deleted (exit status 1 if not), for each school in the "
        "database (--school KEY: that school's only); "
        "backup PATH: copy the SQLite database to PATH while the bot runs (on PostgreSQL: "
        "print the pg_dump command); "
        "restore PATH: replace the SQLite database with the backup PATH (stop the bot first; "
        "the current file is kept as bot.db.before-restore), then verify the event log; "
        "rotate-key: re-encrypt stored report text under a new key (stop the bot first; "
        "safe to interrupt: run it again to finish); "
        "flows show FLOW_ID: print the flow as the bot runs it (a school's own file from "
        "FLOWS_DIR, with what it extends resolved) as YAML; "
        "oncall: who is on duty by the school file's rota now, today and each school day of "
        "next week, in and out of school hours; "
        "summary [PATH]: print the governors' summary (numbers only: reports by kind, response "
        "times in and out of hours, escalations, per term) and write its chart to PATH (PNG); "
        "review [--year YEAR] PATH: write the annual filtering and monitoring review's document "
        "for governors to PATH (PDF, or HTML if PATH ends in .html): the year's review as "
        "completed in chat, or a draft with the figures as they are now if it was not opened; "
        "reload: check the trust file (TRUST_CONFIG) and its schools' files, then ask the bot "
        "running from DATA_DIR to read them again without a restart (as SIGHUP does); a file "
        "with a problem changes nothing",
    )
    parser.add_argument(
        "path",
        nargs="?",
        help="the backup file (backup, restore); show (flows); the chart's PNG (summary); the "
        "document (review)",
    )
    parser.add_argument("flow_id", nargs="?", help="flows show: the id of the flow to print")
    parser.add_argument(
        "--force",
        action="store_true",
        help="backup: overwrite PATH; restore: restore even if the current key cannot read it",
    )
    parser.add_argument("--new-key", help="rotate-key: the Fernet key to rotate to (default: new)")
    parser.add_argument(
        "--batch-size", type=int, default=200, help="rotate-key: rows per transaction"
    )
    parser.add_argument(
        "--stop-after",
        type=int,
        metavar="N",
        help="rotate-key: stop after N batches, as if interrupted (for testing resumption)",
    )
    parser.add_argument(
        "--role",
        choices=["all", "web", "scheduler"],
        help="run: all (default) does everything; web serves the chat channels with no "
        "scheduled jobs; scheduler runs the scheduled jobs (overrides ROLE)",
    )
    parser.add_argument(
        "--at",
        type=team_reports.moment,
        help="oncall: ask as at this date and time (ISO, e.g. 2026-12-07T09:00; school time "
        "when no offset is given) instead of now",
    )
    parser.add_argument(
        "--year",
        type=int,
        help="review: the year whose review to write (default: the latest whose review day has "
        "come)",
    )
    parser.add_argument(
        "--school", metavar="KEY", help="verify-log: check this school's log only (its key)"
    )
    parser.add_argument("--host", help="address to listen on (overrides HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (overrides PORT)")
    # Intermixed: `review --year 2026 PATH` puts an option between the command and its PATH.
    args = parser.parse_intermixed_args(argv)
    if args.command in {"backup", "restore", "review"} and args.path is None:
        parser.error(f"{args.command} needs a PATH: python -m bot {args.command} PATH")
    if args.command == "flows" and (args.path != "show" or args.flow_id is None):
        parser.error("flows needs a FLOW_ID to show: python -m bot flows show FLOW_ID")
    if args.path is not None:
        args.path = Path(args.path)
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")

    try:
        settings = Settings()
    except ValidationError as error:
        return _fail("settings", str(error))
    if args.command == "flows":
        return _show_flow(settings, args.flow_id)
    if settings.trust_config is not None and args.command in ONE_SCHOOLS_COMMANDS:
        # They report on one school: with a trust's file they would have to guess which.
        print(
            f"{args.command} reports on one school: run it for each school with that school's "
            "file and key instead of the trust's (SCHOOL_CONFIG=<its file> SCHOOL_KEY=<its key>, "
            "TRUST_CONFIG unset); the database is the same.",
            file=sys.stderr,
        )
        return 2
    if args.command == "oncall":
        return team_reports.on_call(settings, args.at)
    overrides = {"host": args.host, "port": args.port, "role": args.role}
    settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    problems = (
        settings.slack_problem(),
        settings.teams_problem(),
        settings.role_problem(),
        settings.sign_in_problem(),
    )
    for problem in problems:
        if problem is not None:
            return _fail("settings", problem)
    configure_logging(level=settings.log_level, json_lines=settings.log_format == "json")
    try:
        # Before anything is written: the key, the database and backups are born private.
        secure_data_dir(settings)
    except DataDirError as error:
        return _fail("data folder", str(error))
    try:
        bot = build_bot(settings)
    except (SchoolConfigError, TrustConfigError, TrustNotServed, FlowError, CipherError) as error:
        return _fail("configuration", str(error))

    if args.command == "check":
        print(f"OK: {settings.school_config} and {len(bot.router.flows)} flow(s) are valid.")
        if bot.teams is not None:
            asyncio.run(_check_teams_reach(bot))
        return 0
    if args.command == "migrate":
        asyncio.run(_migrate(bot))
        print(f"OK: the database at {_safe_url(settings)} is up to date.")
        return 0
    if args.command == "verify-log":
        return asyncio.run(_verify_log(bot, args.school))
    if args.command == "reload":
        return _reload(settings)
    try:
        if args.command == "summary":
            return team_reports.summary(bot, args.path)
        if args.command == "review":
            assert args.path is not None  # refused above without one
            return team_reports.review(bot, args.path, args.year)
    except SchoolNotFound as error:
        print(f"Nothing to report: {error}.", file=sys.stderr)
        return 2
    lock = _sqlite_lock(settings)
    try:
        if lock is not None and args.command in {"run", "restore", "rotate-key"}:
            lock.acquire("start" if args.command == "run" else args.command)
    except AlreadyRunning as error:
        print(str(error), file=sys.stderr)
        return 2
    if args.command in {"backup", "restore", "rotate-key"}:
        return _maintenance(bot, args)
    print(
        f"Online-safety bot for {bot.school.name} ({settings.role}): "
        f"http://{settings.host}:{settings.port}/"
    )
    app = create_app(bot, settle_memory=True, reload_on_hangup=True)
    with running_file(settings.data_dir):
        web.run_app(app, host=settings.host, port=settings.port, print=None, loop=event_loop())
    return 0


def _reload(settings: Settings) -> int:
    """The files are checked (by building the bot, above); the running bot is asked to read them."""
    if settings.trust_config is None:
        print(
            "Nothing to reload: this deployment serves one school (no TRUST_CONFIG), which reads "
            "its school file when it starts. Restart it to use a changed file.",
            file=sys.stderr,
        )
        return 2
    print(f"OK: {settings.trust_config} and its schools' files are valid.")
    pid = running_bot(settings.data_dir)
    if pid is None:
        print(
            f"No bot is running from {settings.data_dir} (DATA_DIR), so nothing was reloaded. "
            "Start it, or send SIGHUP to each bot process (docker compose kill -s HUP bot)."
        )
        return 1
    ask_to_reload(pid)
    print(f"Asked the bot (process {pid}) to read them again: its log says what changed.")
    return 0


def _show_flow(settings: Settings, flow_id: str) -> int:
    """Print one flow as the bot would run it: the built-in flows and FLOWS_DIR, resolved."""
    try:
        flows = load_flows(BUILTIN_FLOWS, settings.flows_dir)
    except FlowError as error:
        return _fail("configuration", str(error))
    flow = flows.get(flow_id)
    if flow is None:
        known = ", ".join(sorted(flows))
        print(f"There is no flow {flow_id!r}; the flows are: {known}.", file=sys.stderr)
        return 2
    print(flow_yaml(flow), end="")
    return 0


def _sqlite_lock(settings: Settings) -> ProcessLock | None:
    from bot.maintenance.backup import sqlite_path

    database = sqlite_path(settings)
    return ProcessLock(database) if database is not None else None


async def _migrate(bot: object) -> None:
    from bot.app import Bot

    assert isinstance(bot, Bot)
    await prepare_storage(bot)
    await bot.engine.dispose()


async def _check_teams_reach(bot: Bot) -> None:
    """Who Teams cannot alert: a DSL who never installed the app gets alerts elsewhere only."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.migrate import is_current

    assert bot.teams is not None
    try:
        if not await is_current(bot.engine):
            print("Teams: the database is not set up yet, so nobody has installed the app.")
            return
        missing = await bot.teams.unreachable_handlers()
    except SQLAlchemyError as error:
        print(f"Teams: could not check who has the app installed: {error}", file=sys.stderr)
        return
    finally:
        await bot.engine.dispose()
    if missing:
        print("WARNING: Teams cannot alert these people (alerts reach them on other channels):")
        for name in missing:
            print(f"  {name}")
    else:
        print("Teams: every DSL, deputy and headteacher has the app installed.")


async def _verify_log(bot: Bot, school: str | None = None) -> int:
    from bot.record.verify_command import verify_logs

    try:
        return await verify_logs(bot.engine, _safe_url(bot.settings), school=school)
    finally:
        await bot.engine.dispose()


def _maintenance(bot: Bot, args: argparse.Namespace) -> int:
    from bot.maintenance.backup import MaintenanceError, backup, fail, restore, sqlite_path
    from bot.maintenance.rotate import RotateError

    try:
        if args.command == "backup":
            return backup(bot.settings, args.path, force=args.force)
        if args.command == "restore":
            status = restore(bot.settings, bot.cipher, args.path, force=args.force)
            if status != 0 or sqlite_path(bot.settings) is None:
                return status
            return asyncio.run(_verify_log(bot))
        return asyncio.run(_rotate_key(bot, args))
    except (MaintenanceError, RotateError) as error:
        return fail(MaintenanceError(str(error)))


async def _rotate_key(bot: Bot, args: argparse.Namespace) -> int:
    from bot.maintenance.rotate import rotate_key
    from storage.migrate import is_current

    try:
        if not await is_current(bot.engine):
            print(
                f"The key cannot be rotated: the database at {_safe_url(bot.settings)} is not up "
                "to date (run: python -m bot migrate).",
                file=sys.stderr,
            )
            return 2
        return await rotate_key(
            bot.settings,
            bot.engine,
            given=args.new_key,
            batch_size=args.batch_size,
            stop_after=args.stop_after,
        )
    finally:
        await bot.engine.dispose()


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def _fail(what: str, message: str) -> int:
    print(f"The bot cannot start: its {what} has a problem.\n{message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
