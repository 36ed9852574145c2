"""``garrison user``: manage accounts from the server's shell (works with the web down)."""

from __future__ import annotations

import getpass

import click

from garrison.audit.actor import Actor
from garrison.auth import users
from garrison.auth.models import User
from garrison.auth.permissions import Role
from garrison.cli.runtime import run_with_context
from garrison.i18n import gettext as _
from garrison.runtime.context import AppContext


def operating_system_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def cli_actor() -> Actor:
    return Actor.cli(operating_system_user())


@click.group("user")
def user_group() -> None:
    """User accounts: add, change passwords, disable, reset two-factor."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--display-name", help="Name shown in the console (default: the username).")
@click.pass_context
def add_command(ctx: click.Context, username: str, role: str, display_name: str | None) -> None:
    """Create USERNAME and print a one-time password (shown this once)."""

    async def body(context: AppContext) -> str:
        return await add_user(
            context,
            username=username,
            role=Role(role),
            display_name=display_name,
            actor=cli_actor(),
        )

    one_time_password = run_with_context(ctx, body)
    click.echo(_("User %(username)s created.") % {"username": username})
    _show_one_time_password(one_time_password)


@user_group.command("passwd")
@click.argument("username")
@click.option(
    "--generate", is_flag=True, help="Set a generated one-time password instead of prompting."
)
@click.pass_context
def passwd_command(ctx: click.Context, username: str, generate: bool) -> None:
    """Set USERNAME's password (prompted), or a one-time password with --generate."""
    new_password: str | None = None
    if not generate:
        new_password = click.prompt(_("New password"), hide_input=True, confirmation_prompt=True)

    async def body(context: AppContext) -> str | None:
        return await set_user_password(
            context, username=username, new_password=new_password, actor=cli_actor()
        )

    one_time_password = run_with_context(ctx, body)
    click.echo(_("Password of %(username)s changed.") % {"username": username})
    if one_time_password is not None:
        _show_one_time_password(one_time_password)


@user_group.command("disable")
@click.argument("username")
@click.pass_context
def disable_command(ctx: click.Context, username: str) -> None:
    """Disable USERNAME: their sessions end and their API tokens stop working."""
    _run_set_disabled(ctx, username, disabled=True)
    click.echo(_("User %(username)s disabled.") % {"username": username})


@user_group.command("enable")
@click.argument("username")
@click.pass_context
def enable_command(ctx: click.Context, username: str) -> None:
    """Enable USERNAME again."""
    _run_set_disabled(ctx, username, disabled=False)
    click.echo(_("User %(username)s enabled.") % {"username": username})


@user_group.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """List every user with role and state."""
    for user in run_with_context(ctx, list_all_users):
        click.echo(format_user(user))


@user_group.command("totp-reset")
@click.argument("username")
@click.pass_context
def totp_reset_command(ctx: click.Context, username: str) -> None:
    """Remove USERNAME's authenticator so they can enrol a new one."""

    async def body(context: AppContext) -> None:
        await reset_user_totp(context, username=username, actor=cli_actor())

    run_with_context(ctx, body)
    click.echo(_("Two-factor authentication of %(username)s reset.") % {"username": username})


def _run_set_disabled(ctx: click.Context, username: str, *, disabled: bool) -> None:
    async def body(context: AppContext) -> None:
        await set_user_disabled(context, username=username, disabled=disabled, actor=cli_actor())

    run_with_context(ctx, body)


def _show_one_time_password(one_time_password: str) -> None:
    click.echo(_("One-time password (shown only now; it must be changed at first login):"))
    click.echo(f"  {one_time_password}")


def format_user(user: User) -> str:
    states = []
    if user.disabled:
        states.append(_("disabled"))
    if user.totp_enabled:
        states.append(_("two-factor"))
    if user.must_change_password:
        states.append(_("must change password"))
    state = ", ".join(states)
    return f"{user.username:<24} {user.role:<14} {user.display_name}" + (
        f"  [{state}]" if state else ""
    )


async def add_user(
    context: AppContext, *, username: str, role: Role, display_name: str | None, actor: Actor
) -> str:
    async with context.sessions() as session:
        _user, one_time_password = await users.create_user(
            session,
            username=username,
            role=role,
            display_name=display_name,
            actor=actor,
            now=context.clock.now(),
        )
        await session.commit()
    return one_time_password


async def set_user_password(
    context: AppContext, *, username: str, new_password: str | None, actor: Actor
) -> str | None:
    async with context.sessions() as session:
        user = await users.get_user(session, username=username)
        one_time_password = await users.set_password(
            session, user=user, new_password=new_password, actor=actor, now=context.clock.now()
        )
        await session.commit()
    return one_time_password


async def set_user_disabled(
    context: AppContext, *, username: str, disabled: bool, actor: Actor
) -> None:
    async with context.sessions() as session:
        user = await users.get_user(session, username=username)
        await users.update_user(
            session, user=user, disabled=disabled, actor=actor, now=context.clock.now()
        )
        await session.commit()


async def list_all_users(context: AppContext) -> list[User]:
    async with context.sessions() as session:
        return await users.list_users(session)


async def reset_user_totp(context: AppContext, *, username: str, actor: Actor) -> None:
    async with context.sessions() as session:
        user = await users.get_user(session, username=username)
        await users.reset_totp(session, user=user, actor=actor, now=context.clock.now())
        await session.commit()
