"""``garrison duty``: coverage of the duty rosters, and who is on duty at a post.

With ``--config FILE`` the file alone is read (nothing else is opened). Without it,
the configuration file of the settings is read together with the overrides and
swaps added at run time (from the database).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from garrison.cli.runtime import run_with_context
from garrison.cli.state import CliState
from garrison.config import EventConfig, load_config
from garrison.config.fields import as_utc
from garrison.duty.coverage import CoverageReport, check_coverage
from garrison.duty.oncall import OnDuty, next_on_duty, who_is_on_duty
from garrison.duty.plan import DutyPlan, build_plan
from garrison.duty.service import find_post, load_plan
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _
from garrison.i18n import ngettext
from garrison.runtime.context import AppContext

_CONFIG_OPTION = click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Event configuration to read (default: the settings' config_file, with the "
    "run-time overrides and swaps from the database).",
)


@click.group("duty")
def duty_group() -> None:
    """24/24 duty: roster coverage, who is on duty."""


@duty_group.command("check")
@_CONFIG_OPTION
@click.pass_context
def check_command(ctx: click.Context, config_file: Path | None) -> None:
    """List every gap and double booking over the operation window.

    Exits with status 1 when a post has a gap, 0 otherwise.
    """
    config, plan = _load(ctx, config_file)
    report = check_coverage(plan)
    for line in format_coverage(report, config):
        click.echo(line)
    ctx.exit(1 if report.gaps else 0)


@duty_group.command("who")
@click.argument("post")
@click.option("--at", "at_text", help="When (ISO 8601; without an offset: event time). Now.")
@_CONFIG_OPTION
@click.pass_context
def who_command(
    ctx: click.Context, post: str, at_text: str | None, config_file: Path | None
) -> None:
    """Who is on duty at POST, and who comes next. Exits with status 1 when nobody is."""
    config, plan = _load(ctx, config_file)
    find_post(config, post)
    at = datetime.now().astimezone() if at_text is None else _parse_time(at_text, config)
    current = who_is_on_duty(plan, post, at)
    upcoming = next_on_duty(plan, post, at)
    for line in format_who(config, post, at, current, upcoming):
        click.echo(line)
    ctx.exit(0 if current is not None else 1)


def _parse_time(text: str, config: EventConfig) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            _("expected a date and time such as 2026-10-12T07:00, optionally with an offset"),
            param_hint="--at",
        ) from None
    return as_utc(parsed, config.event.zone)


def _load(ctx: click.Context, config_file: Path | None) -> tuple[EventConfig, DutyPlan]:
    if config_file is not None:
        config = load_config(config_file).config
        return config, build_plan(config)
    state = ctx.find_object(CliState)
    assert state is not None, "the garrison group sets up CliState"
    configured = state.settings().config_file
    if configured is None:
        raise ValidationFailed(
            _("No event configuration: pass --config FILE or set GARRISON_CONFIG_FILE.")
        )
    config = load_config(configured).config

    async def body(context: AppContext) -> DutyPlan:
        async with context.sessions() as session:
            return await load_plan(session, config=config)

    return config, run_with_context(ctx, body)


def _local(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _hours(start: datetime, end: datetime) -> str:
    return f"{(end - start).total_seconds() / 3600:g} h"


def format_coverage(report: CoverageReport, config: EventConfig) -> list[str]:
    zone = config.event.zone
    lines = [
        _("Operation window: {start} → {end} ({timezone})").format(
            start=_local(report.start, zone),
            end=_local(report.end, zone),
            timezone=config.event.timezone,
        )
    ]
    for gap in report.gaps:
        lines.append(
            _("Gap at post {post}: {start} → {end} ({hours}), nobody on duty").format(
                post=gap.post,
                start=_local(gap.start, zone),
                end=_local(gap.end, zone),
                hours=_hours(gap.start, gap.end),
            )
        )
    for booking in report.double_bookings:
        lines.append(
            _("Double booking: {person} at {first} and {second}, {start} → {end}").format(
                person=booking.person,
                first=booking.first_post,
                second=booking.second_post,
                start=_local(booking.start, zone),
                end=_local(booking.end, zone),
            )
        )
    for problem in report.problems:
        lines.append(
            _("Not applied: {source}: {message}").format(
                source=problem.source, message=problem.message
            )
        )
    if report.gaps:
        count = len(report.gaps)
        lines.append(
            ngettext(
                "%(count)d gap: a post is left uncovered.",
                "%(count)d gaps: some posts are left uncovered.",
                count,
            )
            % {"count": count}
        )
    else:
        lines.append(
            _("Every post ({count}) is covered 24/24 over the operation window.").format(
                count=len(config.organisation.posts)
            )
        )
    return lines


def format_who(
    config: EventConfig,
    post: str,
    at: datetime,
    current: OnDuty | None,
    upcoming: OnDuty | None,
) -> list[str]:
    zone = config.event.zone
    names = {person.id: person.name for person in config.organisation.people}
    lines = [
        _("Post {post} at {at} ({timezone}):").format(
            post=post, at=_local(at, zone), timezone=config.event.timezone
        )
    ]
    if current is None:
        lines.append("  " + _("nobody is on duty"))
    else:
        lines.append("  " + _("on duty: ") + _describe(current, names, zone))
    if upcoming is not None:
        lines.append("  " + _("next: ") + _describe(upcoming, names, zone))
    return lines


def _describe(stretch: OnDuty, names: dict[str, str], zone: ZoneInfo) -> str:
    return _("{name} ({person}), {start} → {end}, {source}").format(
        name=names.get(stretch.person, stretch.person),
        person=stretch.person,
        start=_local(stretch.start, zone),
        end=_local(stretch.end, zone),
        source=stretch.source if stretch.layer is None else f"{stretch.source}/{stretch.layer}",
    )
