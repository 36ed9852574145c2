"""The `garrison` command: a thin group of subcommands.

Errors raised as GarrisonError become a message on stderr and the error's exit
code here, in one place.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import click

from garrison import __version__
from garrison.cli.state import CliState
from garrison.errors import GarrisonError
from garrison.i18n.translations import set_language
from garrison.telemetry.logging import configure_logging

# name -> (module, attribute): each module owns one command or group, imported only when
# that command runs, so `garrison config check` does not pay for the web stack.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("garrison.cli.init_cmd", "init_command"),
    "serve": ("garrison.cli.serve_cmd", "serve_command"),
    "demo": ("garrison.cli.demo_cmd", "demo_command"),
    "config": ("garrison.cli.config_cmd", "config_group"),
    "user": ("garrison.cli.user_cmd", "user_group"),
    "audit": ("garrison.cli.audit_cmd", "audit_group"),
    "db": ("garrison.cli.db_cmd", "db_group"),
    "escalation": ("garrison.cli.escalation_cmd", "escalation_group"),
    "rules": ("garrison.cli.rules_cmd", "rules_group"),
    "detect": ("garrison.cli.detect_cmd", "detect_command"),
    "incident": ("garrison.cli.incident_cmd", "incident_group"),
    "logs": ("garrison.cli.logs_cmd", "logs_group"),
    "duty": ("garrison.cli.duty_cmd", "duty_group"),
    "report": ("garrison.cli.report_cmd", "report_command"),
}


class CommandFailed(click.ClickException):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        # click reads the exit code from the instance; ours comes from the GarrisonError.
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


class GarrisonGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GarrisonError as exc:
            raise CommandFailed(str(exc), exc.exit_code) from exc


@click.group(cls=GarrisonGroup)
@click.version_option(__version__, prog_name="garrison")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Data directory (default ./garrison-data; env GARRISON_DATA_DIR).",
)
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    envvar="GARRISON_SETTINGS_FILE",
    help="Settings file (YAML).",
)
@click.option(
    "--database-url",
    help="Database URL (default SQLite in the data directory; env GARRISON_DATABASE_URL).",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "vi"]),
    envvar="GARRISON_LANGUAGE",
    default="en",
    show_default=True,
    help="Language of messages.",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    envvar="GARRISON_LOG_LEVEL",
    default="INFO",
    show_default=True,
)
@click.pass_context
def cli(
    ctx: click.Context,
    data_dir: Path | None,
    settings_file: Path | None,
    database_url: str | None,
    lang: str,
    log_level: str,
) -> None:
    """Garrison: keep an event's communications uninterrupted, safe and confidential."""
    set_language(lang)
    configure_logging(level=log_level, fmt="auto")
    ctx.obj = CliState(
        settings_file=settings_file,
        overrides={
            "data_dir": data_dir,
            "database_url": database_url,
            "language": lang,
            "log_level": log_level,
        },
    )


def main() -> None:
    cli(prog_name="garrison")
