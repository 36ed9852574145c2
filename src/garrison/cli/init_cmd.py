"""``garrison init``: a data directory, a migrated database and the first administrator."""

from __future__ import annotations

import click

from garrison.audit.actor import Actor
from garrison.auth import users
from garrison.auth.permissions import Role
from garrison.cli.runtime import run_with_context
from garrison.cli.state import CliState
from garrison.cli.user_cmd import cli_actor
from garrison.errors import ConflictError
from garrison.i18n import gettext as _
from garrison.runtime.context import AppContext


@click.command("init")
@click.option(
    "--username", default="admin", show_default=True, help="Name of the first administrator."
)
@click.pass_context
def init_command(ctx: click.Context, username: str) -> None:
    """Prepare a new installation and print the administrator's one-time password."""
    state = ctx.find_object(CliState)
    assert state is not None
    settings = state.settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def body(context: AppContext) -> str:
        return await create_first_admin(context, username=username, actor=cli_actor())

    one_time_password = run_with_context(ctx, body)
    click.echo(_("Garrison is ready in %(path)s.") % {"path": settings.data_dir})
    click.echo(_("Administrator: %(username)s") % {"username": username})
    click.echo(_("One-time password (shown only now; it must be changed at first login):"))
    click.echo(f"  {one_time_password}")


async def create_first_admin(context: AppContext, *, username: str, actor: Actor) -> str:
    """Create the first administrator; refused once any user exists."""
    async with context.sessions() as session:
        if await users.count_users(session) > 0:
            raise ConflictError(
                _("Garrison already has users; use 'garrison user add' to add more.")
            )
        _user, one_time_password = await users.create_user(
            session,
            username=username,
            role=Role.ADMIN,
            display_name=_("Administrator"),
            actor=actor,
            now=context.clock.now(),
        )
        await session.commit()
    return one_time_password
