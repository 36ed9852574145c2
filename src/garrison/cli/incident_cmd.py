"""``garrison incident``: recent incidents, and integrations created from the server's shell."""

from __future__ import annotations

import re
from datetime import UTC

import click

from garrison.audit.actor import Actor
from garrison.auth.permissions import Role
from garrison.cli.runtime import run_with_context
from garrison.cli.user_cmd import operating_system_user
from garrison.config.incidents import IntegrationKind
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.access import Viewer
from garrison.incidents.integrations import CreatedIntegration, IntegrationSettings
from garrison.incidents.integrations import create_integration as create_integration_record
from garrison.incidents.models import Incident
from garrison.incidents.service import list_incidents
from garrison.incidents.vocabulary import Category, Severity
from garrison.runtime.context import AppContext

IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
DEFAULT_LIST_LIMIT = 20


@click.group("incident")
def incident_group() -> None:
    """Incidents and the integrations that send signals."""


@incident_group.command("list")
@click.option("--limit", type=click.IntRange(1, 500), default=DEFAULT_LIST_LIMIT, show_default=True)
@click.pass_context
def list_command(ctx: click.Context, limit: int) -> None:
    """Show the newest incidents, newest first (every classification: this is the server)."""

    async def body(context: AppContext) -> list[Incident]:
        async with context.sessions() as session:
            operator = Viewer(user_id=None, username=operating_system_user(), role=Role.ADMIN)
            return await list_incidents(session, viewer=operator, limit=limit)

    for incident in run_with_context(ctx, body):
        click.echo(format_incident(incident))


def format_incident(incident: Incident) -> str:
    opened = incident.opened_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return (
        f"INC-{incident.id}  {opened}  {incident.severity.upper()}  {incident.status:<12}  "
        f"{incident.classification:<12}  {incident.title}"
    )


@incident_group.command("integration-add")
@click.argument("integration_id")
@click.option("--kind", required=True, type=click.Choice([kind.value for kind in IntegrationKind]))
@click.option("--name", help="Name shown with its alerts (default: the id).")
@click.option(
    "--severity",
    type=click.Choice([severity.value for severity in Severity]),
    default=Severity.SEV3.value,
    show_default=True,
    help="Severity when the signal does not say.",
)
@click.option(
    "--category",
    type=click.Choice([category.value for category in Category]),
    default=Category.AVAILABILITY.value,
    show_default=True,
)
@click.option("--rate-limit", type=click.IntRange(1, 100_000), default=120, show_default=True)
@click.pass_context
def integration_add_command(
    ctx: click.Context,
    integration_id: str,
    kind: str,
    name: str | None,
    severity: str,
    category: str,
    rate_limit: int,
) -> None:
    """Create INTEGRATION_ID and print its key (shown this once)."""
    if not IDENTIFIER.fullmatch(integration_id):
        raise ValidationFailed(
            _("An integration id has lowercase letters, digits, '_', '.', '-' (at most 64).")
        )
    settings = IntegrationSettings(
        name=name or integration_id,
        kind=IntegrationKind(kind),
        default_severity=Severity(severity),
        default_category=Category(category),
        rate_limit_per_minute=rate_limit,
    )

    async def body(context: AppContext) -> CreatedIntegration:
        async with context.sessions() as session:
            created = await create_integration_record(
                session,
                integration_id=integration_id,
                settings=settings,
                actor=Actor.cli(operating_system_user()),
                now=context.clock.now(),
            )
            await session.commit()
            return created

    created = run_with_context(ctx, body)
    click.echo(_("Integration %(id)s created.") % {"id": integration_id})
    click.echo(_("Its key (shown this once): %(key)s") % {"key": created.key})
