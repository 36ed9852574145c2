"""Alembic environment: runs on the connection handed over by garrison.storage.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from garrison.storage.models_registry import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through 'garrison db upgrade', not the alembic command")
_run(connection)
