"""`python -m bot`: start the bot, or migrate the database, or check the configuration."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from aiohttp import web
from pydantic import ValidationError

from bot.app import build_bot, create_app, prepare_storage
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
        choices=["run", "migrate", "check"],
        help="run (default): start the server; migrate: bring the database schema up to date; "
        "check: validate the school configuration and flow files, then exit",
    )
    parser.add_argument("--host", help="address to listen on (overrides HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (overrides PORT)")
    args = parser.parse_args(argv)

    try:
        settings = Settings()
    except ValidationError as error:
        return _fail("settings", str(error))
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
    print(f"Online-safety bot for {bot.school.name}: http://{settings.host}:{settings.port}/")
    web.run_app(create_app(bot), host=settings.host, port=settings.port, print=None)
    return 0


async def _migrate(bot: object) -> None:
    from bot.app import Bot

    assert isinstance(bot, Bot)
    await prepare_storage(bot)
    await bot.engine.dispose()


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def _fail(what: str, message: str) -> int:
    print(f"The bot cannot start: its {what} has a problem.\n{message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
