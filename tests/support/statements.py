"""Watching the SQL the bot's engine runs, for the tests that count or inspect statements."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def watching(bot: Any, note: Callable[[str, Any], None]) -> Iterator[None]:
    """Call `note(statement, execution context)` for each statement the bot's engine runs
    meanwhile (SQLAlchemy's before_cursor_execute)."""

    def listener(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, *_: Any):
        note(statement, context)

    event.listen(bot.engine.sync_engine, "before_cursor_execute", listener)
    try:
        yield
    finally:
        event.remove(bot.engine.sync_engine, "before_cursor_execute", listener)
