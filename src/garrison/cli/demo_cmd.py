"""`garrison demo`: the demo event, its lab and an admin login, in a throw-away data directory."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click

from garrison.cli.state import CliState
from garrison.demo.setup import (
    DEMO_EVENT_FILE,
    DemoLogin,
    create_demo_admin,
    demo_environment,
    demo_workers,
)
from garrison.i18n import gettext as _
from garrison.runtime.assembly import open_context
from garrison.runtime.server import ServeOptions, serve
from garrison.settings import Settings
from garrison.storage.migrate import upgrade


@click.command("demo")
@click.option("--port", type=int, default=8080, show_default=True, help="Port of the web console.")
@click.option(
    "--keep",
    is_flag=True,
    help="Keep the data directory afterwards (always kept when --data-dir is given).",
)
@click.pass_context
def demo_command(ctx: click.Context, port: int, keep: bool) -> None:
    """Run Garrison with the demo event and the demo lab on 127.0.0.1."""
    state = ctx.find_object(CliState)
    assert state is not None
    chosen_dir = state.overrides.get("data_dir")
    data_dir = Path(chosen_dir) if chosen_dir else Path(tempfile.mkdtemp(prefix="garrison-demo-"))
    state.overrides.update(
        {"data_dir": data_dir, "port": port, "host": "127.0.0.1", "config_file": DEMO_EVENT_FILE}
    )
    settings = state.settings()
    for name, value in demo_environment(datetime.now(UTC), data_dir).items():
        os.environ.setdefault(name, value)
    try:
        asyncio.run(_run_demo(settings))
    finally:
        if not chosen_dir and not keep:
            shutil.rmtree(data_dir, ignore_errors=True)


async def _run_demo(settings: Settings) -> None:
    async with open_context(settings) as context:
        await upgrade(context.engine)
        login = await create_demo_admin(context)

    def announce(url: str) -> None:
        _show_banner(url, login, settings.data_dir)

    await serve(
        settings,
        ServeOptions(
            config_path=DEMO_EVENT_FILE, extra_workers=demo_workers, on_listening=announce
        ),
    )


def _show_banner(url: str, login: DemoLogin, data_dir: Path) -> None:
    click.echo("")
    click.echo(_("Garrison demo is running: %(url)s") % {"url": url})
    click.echo(_("  user:     %(username)s") % {"username": login.username})
    click.echo(_("  password: %(password)s") % {"password": login.password})
    click.echo(_("  data:     %(path)s") % {"path": data_dir})
    click.echo(_("Stop with Ctrl+C."))
    click.echo("")
