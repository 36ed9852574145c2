"""``garrison report daily|final|shift``: a report file from the server's database."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from garrison.cli.runtime import run_with_context
from garrison.cli.state import CliState
from garrison.config import load_config
from garrison.errors import ConflictError
from garrison.i18n import gettext as _
from garrison.reports.service import ReportRequest, build_report
from garrison.runtime.context import AppContext


@click.command("report")
@click.argument("kind", type=click.Choice(["daily", "final", "shift"]))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["html", "pdf", "json", "csv"]),
    default="html",
    show_default=True,
)
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Day of a daily report (event time).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Event configuration (default: the settings' config_file).",
)
@click.pass_context
def report_command(
    ctx: click.Context,
    kind: str,
    file_format: str,
    lang: str,
    out: Path,
    day: datetime | None,
    config_path: Path | None,
) -> None:
    """Write a shift, daily or final report to FILE."""
    state = ctx.find_object(CliState)
    assert state is not None, "the garrison group sets up CliState"
    config_file = config_path or state.settings().config_file
    if config_file is None:
        raise ConflictError(_("A report needs the event configuration (--config or settings)."))
    config = load_config(config_file).config
    wanted: date | None = day.date() if day is not None else None

    async def body(context: AppContext) -> bytes:
        async with context.sessions() as session:
            return await build_report(
                session,
                config=config,
                config_file=config_file,
                request=ReportRequest(
                    kind=kind, file_format=file_format, language=lang, day=wanted
                ),
                now=context.clock.now(),
            )

    out.write_bytes(run_with_context(ctx, body))
    click.echo(_("Report written to %(path)s") % {"path": out})
