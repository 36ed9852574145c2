"""``garrison detect``: run the events of a file through the rule engine, offline."""

from __future__ import annotations

import json
from pathlib import Path

import click

from garrison.config import load_config
from garrison.detection.engine.builder import build_engine, setup_for_paths, setup_from_settings
from garrison.detection.engine.offline import FORMATS, run_file
from garrison.detection.records import LogSource
from garrison.i18n import gettext as _


@click.command("detect")
@click.option(
    "--rules",
    "rule_paths",
    multiple=True,
    # A rule path that does not exist is unreadable input (exit 2), and it is read from
    # the current folder even when --config names a file elsewhere.
    type=click.Path(path_type=Path, exists=True, resolve_path=True),
    help="Sigma rule file or folder (repeatable).",
)
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(path_type=Path),
    help="The log file to read.",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="How the file is written.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Event configuration: its rules, overrides, placeholders and indicator lists.",
)
@click.option("--builtin/--no-builtin", default=True, help="Include Garrison's own rule pack.")
@click.option("--product", help="Log source product of the file's events, if they do not say.")
@click.option("--service", help="Log source service of the file's events.")
@click.option("--category", help="Log source category of the file's events.")
def detect_command(
    rule_paths: tuple[Path, ...],
    input_path: Path,
    file_format: str,
    config_path: Path | None,
    builtin: bool,
    product: str | None,
    service: str | None,
    category: str | None,
) -> None:
    """Print one JSON line per match: rule, level, author, the event's index and fields.

    Exits with status 2 when the input cannot be read.
    """
    if config_path is not None:
        settings = load_config(config_path).config.detection
        settings = settings.model_copy(update={"rules": (*settings.rules, *rule_paths)})
        setup = setup_from_settings(settings, base_dir=config_path.parent)
    else:
        setup = setup_for_paths(rule_paths, builtin_rules=builtin)
    engine = build_engine(setup)
    for refusal in engine.report.refused:
        click.echo(
            _("rule refused: %(path)s: %(rule)s: %(reason)s")
            % {"path": refusal.path, "rule": refusal.rule_id or "-", "reason": refusal.reason},
            err=True,
        )
    logsource = LogSource(product=product, service=service, category=category)
    tagged = logsource if (product or service or category) else None
    matches = 0
    for match in run_file(engine, input_path, file_format=file_format, logsource=tagged):
        matches += 1
        click.echo(json.dumps(match.to_document(), ensure_ascii=False, default=str))
    click.echo(
        _("%(events)d events, %(matches)d matches")
        % {"events": engine.counts.events, "matches": matches},
        err=True,
    )
