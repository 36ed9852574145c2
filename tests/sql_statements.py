"""Counting the SQL statements a piece of code sends: how tests bound a path's cost."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import event

from garrison.runtime.context import AppContext

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextlib.contextmanager
def statements(context: AppContext) -> Iterator[list[str]]:
    """The SQL statements sent meanwhile (transaction control left out)."""
    sent: list[str] = []

    def note(*args: object) -> None:
        text = str(args[2])
        if not text.startswith(_TRANSACTION_CONTROL):
            sent.append(text)

    engine = context.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)
