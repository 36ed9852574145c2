"""`garrison serve`: the web app and every worker in one process."""

from __future__ import annotations

from pathlib import Path

import click

from garrison.cli.state import CliState
from garrison.runtime import loop
from garrison.runtime.server import ServeOptions, serve


@click.command("serve")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    envvar="GARRISON_CONFIG_FILE",
    help="The event configuration (YAML), synced into the database at start.",
)
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 8080).")
@click.pass_context
def serve_command(
    ctx: click.Context, config_path: Path | None, host: str | None, port: int | None
) -> None:
    """Run Garrison: web console, API and background workers."""
    state = ctx.find_object(CliState)
    assert state is not None
    state.overrides.update({"host": host, "port": port, "config_file": config_path})
    settings = state.settings()

    async def run() -> None:
        await serve(
            settings,
            ServeOptions(
                config_path=config_path,
                on_listening=lambda url: click.echo(f"Garrison is listening on {url}"),
            ),
        )

    loop.run(run())  # uvloop where installed
