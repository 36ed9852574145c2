"""``garrison rules check``: load Sigma rules and report what loads and what is refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from garrison.config import load_config
from garrison.config.detection import DetectionSettings
from garrison.detection.engine.builder import (
    EngineSetup,
    load_ruleset,
    setup_for_paths,
    setup_from_settings,
)
from garrison.detection.sigma.model import LoadReport
from garrison.i18n import gettext as _


@click.group("rules")
def rules_group() -> None:
    """Sigma rules of the detection engine."""


@rules_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    envvar="GARRISON_CONFIG_FILE",
    help="Event configuration whose detection rules, overrides and placeholders to check.",
)
@click.option("--builtin/--no-builtin", default=None, help="Include Garrison's own rule pack.")
@click.pass_context
def check_command(
    ctx: click.Context, paths: tuple[Path, ...], config_path: Path | None, builtin: bool | None
) -> None:
    """Load PATHS (files or folders), or the configured rules; print loaded and refused.

    Exits with status 1 when any rule is refused.
    """
    setup = _setup(paths, config_path, builtin)
    report = load_ruleset(setup).report
    for line in report_lines(report):
        click.echo(line)
    if report.refused:
        ctx.exit(1)


def _setup(paths: tuple[Path, ...], config_path: Path | None, builtin: bool | None) -> EngineSetup:
    if config_path is not None:
        settings = load_config(config_path).config.detection
        setup = setup_from_settings(settings, base_dir=config_path.parent)
        if paths:
            setup = setup_from_settings(
                settings.model_copy(update={"rules": paths}), base_dir=Path.cwd()
            )
    elif paths:
        setup = setup_for_paths(paths, builtin_rules=False)
    else:
        setup = setup_from_settings(DetectionSettings(), base_dir=None)
    if builtin is not None:
        setup = dataclasses.replace(setup, builtin_rules=builtin)
    return setup


def report_lines(report: LoadReport) -> list[str]:
    lines = [
        _("Files read: %(files)d") % {"files": report.files},
        _("Rules loaded: %(count)d") % {"count": len(report.loaded)},
        _("Filters applied: %(count)d") % {"count": report.filters},
        _("Rules disabled by configuration: %(count)d") % {"count": len(report.disabled)},
        _("Rules refused: %(count)d") % {"count": len(report.refused)},
    ]
    for refusal in report.refused:
        rule = refusal.rule_id or _("(no id)")
        if refusal.title:
            rule = f"{rule} ({refusal.title})"
        lines.append(
            _("  refused: %(path)s: %(rule)s: %(reason)s")
            % {"path": refusal.path, "rule": rule, "reason": refusal.reason}
        )
    lines.extend(_("  warning: %(text)s") % {"text": warning} for warning in report.warnings)
    return lines
