"""``garrison config``: check an event configuration file, print its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from garrison.config import LoadedConfig, event_config_json_schema, load_config, summarize
from garrison.i18n import gettext as _

_WINDOW_FORMAT = "%Y-%m-%d %H:%M"


@click.group("config")
def config_group() -> None:
    """Check the event configuration (configuration as code)."""


@config_group.command("check")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def check_command(file: Path) -> None:
    """Load FILE and its includes, report every problem, or print a summary.

    Writes nothing. Exits with status 2 when the configuration is invalid.
    """
    loaded = load_config(file)
    for line in _summary_lines(loaded):
        click.echo(line)


@config_group.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the configuration file, for editors."""
    click.echo(json.dumps(event_config_json_schema(), indent=2, ensure_ascii=False))


def _summary_lines(loaded: LoadedConfig) -> list[str]:
    event = loaded.config.event
    zone = event.zone
    window = _("{start} → {end} ({timezone})").format(
        start=event.start.astimezone(zone).strftime(_WINDOW_FORMAT),
        end=event.end.astimezone(zone).strftime(_WINDOW_FORMAT),
        timezone=event.timezone,
    )
    labels = _count_labels()
    lines = [
        _("Event: {name} ({id})").format(name=event.name, id=event.id),
        _("Window: {window}").format(window=window),
        _("Files: {count} (digest {digest})").format(
            count=len(loaded.files), digest=loaded.digest[:12]
        ),
    ]
    lines.extend(
        f"  {labels.get(key, key)}: {count}" for key, count in summarize(loaded.config).items()
    )
    lines.append(_("The configuration is valid."))
    return lines


def _count_labels() -> dict[str, str]:
    return {
        "units": _("units"),
        "people": _("people"),
        "posts": _("posts"),
        "sites": _("sites"),
        "services": _("services"),
        "phases": _("phases"),
        "redundancy_groups": _("redundancy groups"),
        "dependencies": _("dependencies"),
    }
