"""``garrison audit``: check the audit chain, show recent entries."""

from __future__ import annotations

from datetime import UTC

import click

from garrison.audit.models import AuditEntry
from garrison.audit.service import list_audit
from garrison.audit.verify import VerifyReport, verify_chain
from garrison.cli.runtime import run_with_context
from garrison.i18n import gettext as _
from garrison.runtime.context import AppContext

DEFAULT_LIST_LIMIT = 20
MAX_LIST_LIMIT = 500


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@click.pass_context
def verify_command(ctx: click.Context) -> None:
    """Check the whole audit chain; exit 1 naming the first tampered entry."""
    report = run_with_context(ctx, run_verify)
    click.echo(format_report(report))
    ctx.exit(0 if report.intact else 1)


@audit_group.command("list")
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIST_LIMIT),
    default=DEFAULT_LIST_LIMIT,
    show_default=True,
    help="How many of the newest entries to show.",
)
@click.pass_context
def list_command(ctx: click.Context, limit: int) -> None:
    """Show the newest audit entries, newest first."""

    async def body(context: AppContext) -> list[AuditEntry]:
        return await run_list(context, limit=limit)

    for entry in run_with_context(ctx, body):
        click.echo(format_entry(entry))


async def run_verify(context: AppContext) -> VerifyReport:
    async with context.sessions() as session:
        return await verify_chain(session)


async def run_list(context: AppContext, *, limit: int) -> list[AuditEntry]:
    async with context.sessions() as session:
        return await list_audit(session, limit=limit)


def _problem_label(kind: str) -> str:
    labels = {
        "edited": _("edited"),
        "deleted": _("deleted"),
        "inserted": _("inserted"),
        "reordered": _("reordered"),
    }
    return labels.get(kind, kind)


def format_report(report: VerifyReport) -> str:
    if report.problem is None:
        return _(
            "The audit chain is intact: %(count)d entries checked; head #%(seq)d, hash %(hash)s."
        ) % {"count": report.checked, "seq": report.head_seq, "hash": report.head_hash}
    problem = report.problem
    return _(
        "The audit chain is broken at entry #%(seq)d (id %(id)s, %(kind)s): %(message)s "
        "%(count)d entries before it are intact."
    ) % {
        "seq": problem.seq,
        "id": "-" if problem.entry_id is None else problem.entry_id,
        "kind": _problem_label(problem.kind),
        "message": problem.message,
        "count": report.checked,
    }


def format_entry(entry: AuditEntry) -> str:
    moment = entry.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    target = (
        entry.target_type if entry.target_id is None else f"{entry.target_type}:{entry.target_id}"
    )
    return (
        f"#{entry.seq}  {moment}  {entry.actor_kind}:{entry.actor_name}  {entry.action}  {target}"
    )
