"""``garrison escalation preview``: which policy an incident would get, and who each step would
page right now (the duty rota with its run-time overrides read from the database)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from garrison.cli.runtime import run_with_context
from garrison.config import EventConfig, load_config
from garrison.escalation.policy import choose_policy, incident_facts
from garrison.escalation.targets import TargetResolver, describe_target
from garrison.i18n import gettext as _
from garrison.incidents.models import Incident
from garrison.incidents.vocabulary import Category, Severity
from garrison.notify.recipients import find_person, routes_for
from garrison.runtime.context import AppContext


@click.group("escalation")
def escalation_group() -> None:
    """Escalation policies: check who would be paged."""


@escalation_group.command("preview")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="The event configuration (YAML).",
)
@click.option("--service", "services", multiple=True, help="A service of the incident (repeat).")
@click.option(
    "--category",
    type=click.Choice([category.value for category in Category]),
    default=Category.AVAILABILITY.value,
    show_default=True,
)
@click.option(
    "--severity",
    type=click.Choice([severity.value for severity in Severity]),
    default=Severity.SEV2.value,
    show_default=True,
)
@click.pass_context
def preview_command(
    ctx: click.Context, config_path: Path, services: tuple[str, ...], category: str, severity: str
) -> None:
    """Show the policy a new incident would get and whom each of its steps would reach now."""
    config = load_config(config_path).config

    async def body(context: AppContext) -> list[str]:
        return await _preview(
            context, config, services=list(services), category=category, severity=severity
        )

    for line in run_with_context(ctx, body):
        click.echo(line)


async def _preview(
    context: AppContext, config: EventConfig, *, services: list[str], category: str, severity: str
) -> list[str]:
    facts = incident_facts(config, services=services, category=category, severity=severity)
    policy = choose_policy(config, facts)
    if policy is None:
        return [_("No escalation policy applies: such an incident would not be paged.")]
    now = context.clock.now()
    # A sketch of the incident: never added to the session, never stored.
    sketch = Incident(services=services, commander_id=None)
    lines = [
        _("Policy: {name} ({id}), {repeat} round(s)").format(
            name=policy.name, id=policy.id, repeat=policy.repeat
        )
    ]
    async with context.sessions() as session:
        resolver = TargetResolver(session, config=config, incident=sketch, at=now)
        for index, step in enumerate(policy.steps, start=1):
            reached = await resolver.step(step)
            targets = ", ".join(describe_target(target) for target in step.targets)
            lines.append(
                _("Step {level} ({targets}), then wait {minutes:g} min:").format(
                    level=index, targets=targets, minutes=step.wait_minutes
                )
            )
            lines.extend(_person_line(config, person_id) for person_id in reached.people)
            lines.extend(
                "  " + _("reaches nobody: {target}").format(target=target)
                for target in reached.unreached
            )
    lines.append(_("As of {moment}.").format(moment=_local(now, config)))
    return lines


def _person_line(config: EventConfig, person_id: str) -> str:
    person = find_person(config, person_id)
    if person is None:
        return f"  {person_id}"
    channels = ", ".join(kind.value for kind, _address in routes_for(config, person))
    return "  " + _("{name} ({id}) by {channels}").format(
        name=person.name, id=person.id, channels=channels or _("no channel")
    )


def _local(moment: datetime, config: EventConfig) -> str:
    return moment.astimezone(config.event.zone).strftime("%Y-%m-%d %H:%M %Z")
