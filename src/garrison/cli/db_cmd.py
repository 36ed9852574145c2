"""`garrison db`: schema migrations by hand (serve and init migrate on their own)."""

from __future__ import annotations

import click

from garrison.cli.runtime import run_with_context
from garrison.runtime.context import AppContext
from garrison.storage import migrate


@click.group("db")
def db_group() -> None:
    """Database schema migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="heads")
@click.pass_context
def upgrade_command(ctx: click.Context, revision: str) -> None:
    """Migrate the schema up to REVISION (default: the newest)."""

    async def body(context: AppContext) -> str | None:
        await migrate.upgrade(context.engine, revision)
        return await migrate.current_revision(context.engine)

    click.echo(_describe(run_with_context(ctx, body, migrate=False)))


@db_group.command("downgrade")
@click.argument("revision")
@click.pass_context
def downgrade_command(ctx: click.Context, revision: str) -> None:
    """Migrate the schema down to REVISION ('base' removes every table)."""

    async def body(context: AppContext) -> str | None:
        await migrate.downgrade(context.engine, revision)
        return await migrate.current_revision(context.engine)

    click.echo(_describe(run_with_context(ctx, body, migrate=False)))


@db_group.command("current")
@click.pass_context
def current_command(ctx: click.Context) -> None:
    """Show the schema revision of the database."""

    async def body(context: AppContext) -> str | None:
        return await migrate.current_revision(context.engine)

    revision = run_with_context(ctx, body, migrate=False)
    click.echo(f"{_describe(revision)}; newest is {migrate.head_revision()}")


def _describe(revision: str | None) -> str:
    return f"schema at {revision or 'nothing (empty database)'}"
