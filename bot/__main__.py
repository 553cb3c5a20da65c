"""`python -m bot`: start the bot, migrate the database, check the configuration or the log."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from aiohttp import web
from pydantic import ValidationError

from bot.app import Bot, build_bot, create_app, prepare_storage
from bot.school import SchoolConfigError
from bot.settings import Settings
from dialogs.loader import FlowError
from storage.crypto import CipherError

_EPILOG = "environment variables (also read from a .env file):\n" + "\n".join(
    f"  {name.upper():<28} {field.description}" for name, field in Settings.model_fields.items()
)


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
        choices=["run", "migrate", "check", "verify-log"],
        help="run (default): start the server; migrate: bring the database schema up to date; "
        "check: validate the school configuration and flow files, then exit; "
        "verify-log: check that no entry of the event log was changed or deleted "
        "(exit status 1 if one was)",
    )
    parser.add_argument("--host", help="address to listen on (overrides HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (overrides PORT)")
    args = parser.parse_args(argv)

    try:
        settings = Settings()
    except ValidationError as error:
        return _fail("settings", str(error))
    if (problem := settings.slack_problem()) is not None:
        return _fail("settings", problem)
    overrides = {"host": args.host, "port": args.port}
    settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic announces itself on every schema check (/readyz); our own log line says enough.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        bot = build_bot(settings)
    except (SchoolConfigError, FlowError, CipherError) as error:
        return _fail("configuration", str(error))

    if args.command == "check":
        print(f"OK: {settings.school_config} and {len(bot.router.flows)} flow(s) are valid.")
        return 0
    if args.command == "migrate":
        asyncio.run(_migrate(bot))
        print(f"OK: the database at {_safe_url(settings)} is up to date.")
        return 0
    if args.command == "verify-log":
        return asyncio.run(_verify_log(bot))
    print(f"Online-safety bot for {bot.school.name}: http://{settings.host}:{settings.port}/")
    web.run_app(create_app(bot), host=settings.host, port=settings.port, print=None)
    return 0


async def _migrate(bot: object) -> None:
    from bot.app import Bot

    assert isinstance(bot, Bot)
    await prepare_storage(bot)
    await bot.engine.dispose()


async def _verify_log(bot: Bot) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.services.event_chain import verify_log
    from storage.migrate import is_current

    where = _safe_url(bot.settings)
    try:
        if not await is_current(bot.engine):
            print(
                f"The event log cannot be checked: the database at {where} is not up to date "
                "(run: python -m bot migrate).",
                file=sys.stderr,
            )
            return 2
        async with bot.router.sessions() as session:
            check = await verify_log(session)
    except SQLAlchemyError as error:
        print(f"The event log at {where} cannot be read: {error}", file=sys.stderr)
        return 2
    finally:
        await bot.engine.dispose()
    if not check.ok:
        print(f"BROKEN: the event log has been altered: {check.reason}.", file=sys.stderr)
        if check.checked:
            print(f"The {check.checked} entries before that are intact.", file=sys.stderr)
        return 1
    entries = "entry is" if check.checked == 1 else "entries are"
    print(f"OK: the event log's {check.checked} {entries} intact.")
    if check.unchained:
        older = "older entry" if check.unchained == 1 else "older entries"
        print(f"({check.unchained} {older}, written before the log was chained, not checked.)")
    if check.head_hash:
        # Kept somewhere else, this shows later that the log was not rewritten up to here.
        print(f"Entry {check.checked} has hash {check.head_hash}.")
    return 0


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def _fail(what: str, message: str) -> int:
    print(f"The bot cannot start: its {what} has a problem.\n{message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
