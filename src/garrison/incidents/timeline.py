"""An incident's timeline: append-only, one entry per thing that happened (alerts arriving
together in one ingestion share one: ``alert_entries.py``).

Other domains add their own entries with :func:`add_timeline_entry` (escalation:
``NOTIFICATION`` with ``{"channel", "recipient", "delivered", "error"}``,
``ESCALATION`` with ``{"level", "targets"}``, ``DIRECTIVE`` with
``{"directive_id", "deadline"}``). Entries keep structured ``data``; the sentence
shown is made when it is read, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.i18n import gettext as _
from garrison.incidents.models import ACTOR_NAME_LENGTH, TimelineEntry
from garrison.incidents.signals import bounded_details, clip

MAX_TEXT_LENGTH = 20_000
MAX_PAGE = 1000
# The ``event`` of an entry that stands for several alerts at once.
SEVERAL = "several"


class TimelineKind(StrEnum):
    OPENED = "opened"
    ALERT = "alert"
    ALERT_RESOLVED = "alert_resolved"
    STATE_CHANGE = "state_change"
    NOTE = "note"
    ASSIGNMENT = "assignment"
    COMMANDER = "commander"
    SEVERITY = "severity"
    CLASSIFICATION = "classification"
    ACCESS = "access"
    DETAILS = "details"
    ATTACHMENT = "attachment"
    MERGE = "merge"
    NOTIFICATION = "notification"
    ESCALATION = "escalation"
    DIRECTIVE = "directive"


async def add_timeline_entry(
    session: AsyncSession,
    *,
    incident_id: int,
    kind: TimelineKind,
    at: datetime,
    actor: Actor,
    text: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> TimelineEntry:
    """Append one entry (flushes, never commits); ``text`` is what a person wrote."""
    entry = timeline_entry(
        incident_id=incident_id, kind=kind, at=at, actor=actor, text=text, data=data
    )
    session.add(entry)
    await session.flush()
    return entry


def timeline_entry(
    *,
    incident_id: int,
    kind: TimelineKind,
    at: datetime,
    actor: Actor,
    text: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> TimelineEntry:
    """An entry not yet added to a session: for callers that write many in one flush."""
    if at.tzinfo is None:
        raise ValueError("timeline times must be timezone-aware")
    return TimelineEntry(
        incident_id=incident_id,
        at=at,
        kind=kind.value,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=clip(actor.name, ACTOR_NAME_LENGTH),
        text=None if text is None else clip(text, MAX_TEXT_LENGTH),
        data=bounded_details(dict(data or {})),
    )


async def list_timeline(
    session: AsyncSession, *, incident_id: int, after_id: int | None = None, limit: int = 500
) -> list[TimelineEntry]:
    """Oldest first; ``after_id`` continues from the last entry of a previous page."""
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id)
        .order_by(TimelineEntry.id)
        .limit(max(1, min(limit, MAX_PAGE)))
    )
    if after_id is not None:
        query = query.where(TimelineEntry.id > after_id)
    return list((await session.scalars(query)).all())


def describe_entry(entry: TimelineEntry) -> str:
    """One sentence for the entry, in the current language."""
    data = entry.data or {}
    values = {key: _text(value) for key, value in data.items()}
    # An entry may have a sentence of its own event ("escalation.escalated_now").
    template = _TEMPLATES.get(f"{entry.kind}.{data.get('event')}") or _TEMPLATES.get(entry.kind)
    if template is None:
        return entry.text or entry.kind
    try:
        return template() % values
    except (KeyError, ValueError, TypeError):
        return entry.text or entry.kind


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "-"
    return str(value)


# Templates are looked up when shown, so each is translated in the reader's language.
_TEMPLATES = {
    TimelineKind.OPENED.value: lambda: _("Incident opened: %(title)s"),
    TimelineKind.ALERT.value: lambda: _("Alert from %(source)s: %(summary)s"),
    TimelineKind.ALERT_RESOLVED.value: lambda: _("Alert resolved: %(summary)s"),
    # Several alerts in one entry (incidents/alert_entries.py); "count" is 2 or more.
    f"{TimelineKind.ALERT.value}.{SEVERAL}": lambda: _(
        "%(count)s alerts from %(source)s, the first: %(summary)s"
    ),
    f"{TimelineKind.ALERT_RESOLVED.value}.{SEVERAL}": lambda: _(
        "%(count)s alerts resolved, the first: %(summary)s"
    ),
    TimelineKind.STATE_CHANGE.value: lambda: _("State changed from %(previous)s to %(current)s"),
    TimelineKind.ASSIGNMENT.value: lambda: _("Assignee: %(username)s"),
    TimelineKind.COMMANDER.value: lambda: _("Incident commander: %(username)s"),
    TimelineKind.SEVERITY.value: lambda: _("Severity changed from %(previous)s to %(current)s"),
    TimelineKind.CLASSIFICATION.value: lambda: _(
        "Classification changed from %(previous)s to %(current)s"
    ),
    TimelineKind.ACCESS.value: lambda: _("Need-to-know list: people %(users)s; units %(units)s"),
    TimelineKind.DETAILS.value: lambda: _("Details changed: %(fields)s"),
    TimelineKind.ATTACHMENT.value: lambda: _("Attachment added: %(filename)s"),
    TimelineKind.MERGE.value: lambda: _("Merged: incident %(source)s into %(target)s"),
    TimelineKind.NOTIFICATION.value: lambda: _(
        "Notification to %(recipient)s by %(channel)s: %(result)s"
    ),
    TimelineKind.ESCALATION.value: lambda: _("Escalated to level %(level)s: %(targets)s"),
    f"{TimelineKind.ESCALATION.value}.escalated_now": lambda: _(
        "Escalated now by %(by)s, to level %(level)s (round %(round)s): %(targets)s"
    ),
    f"{TimelineKind.ESCALATION.value}.notified_again": lambda: _(
        "Escalated now by %(by)s: no level left above, so level %(level)s was notified again:"
        " %(targets)s"
    ),
    TimelineKind.DIRECTIVE.value: lambda: _("Directive: %(summary)s"),
}
