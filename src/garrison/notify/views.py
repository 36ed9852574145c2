"""Notifications over HTTP: what was sent for an incident, the outbox, a test message."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.duty.dependencies import EventConfiguration
from garrison.errors import ConflictError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.access import can_see, viewer_for
from garrison.incidents.dependencies import CurrentIncident
from garrison.incidents.models import Incident
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.service import access_list
from garrison.notify.models import Notification
from garrison.notify.recipients import recipient_for
from garrison.notify.schemas import (
    NotificationOut,
    NotificationPage,
    TrialNotificationIn,
    notification_out,
)
from garrison.notify.service import (
    MAX_LIST_LIMIT,
    NewNotification,
    NotificationFilter,
    attempts_of,
    deliveries_of,
    list_notifications,
    queue_notification,
)
from garrison.notify.vocabulary import NotificationKind, NotificationStatus
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["notifications"])

IncidentReader = Annotated[Principal, Depends(require(Permission.INCIDENT_READ))]
IncidentManager = Annotated[Principal, Depends(require(Permission.INCIDENT_MANAGE))]
IntegrationManager = Annotated[Principal, Depends(require(Permission.INTEGRATION_MANAGE))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)]


async def _out(session: DbSession, rows: list[Notification]) -> list[NotificationOut]:
    deliveries = await deliveries_of(session, notification_ids=[row.id for row in rows])
    attempts = await attempts_of(
        session, delivery_ids=[d.id for found in deliveries.values() for d in found]
    )
    return [notification_out(row, deliveries[row.id], attempts) for row in rows]


@router.get("/incidents/{incident_id}/notifications", response_model=list[NotificationOut])
async def incident_notifications(
    _principal: IncidentReader, incident: CurrentIncident, session: DbSession
) -> list[NotificationOut]:
    """Every notification about the incident, oldest first, with each attempt."""
    rows = await list_notifications(
        session, filters=NotificationFilter(incident_id=incident.id), limit=MAX_LIST_LIMIT
    )
    return await _out(session, list(reversed(rows)))


@router.get("/notifications", response_model=NotificationPage)
async def all_notifications(
    principal: IncidentManager,
    session: DbSession,
    kind: NotificationKind | None = None,
    status: NotificationStatus | None = None,
    recipient: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> NotificationPage:
    """The outbox, newest first; notifications about incidents the caller may not see are left
    out."""
    rows = await list_notifications(
        session,
        filters=NotificationFilter(
            recipient_id=recipient, kinds=(kind,) if kind else (), status=status
        ),
        limit=limit,
        before_id=before_id,
    )
    viewer = await viewer_for(session, principal)
    visible: list[Notification] = []
    seen: dict[int, bool] = {}
    for row in rows:
        if row.incident_id is not None and row.incident_id not in seen:
            incident = await session.get(Incident, row.incident_id)
            listed = await access_list(session, incident_id=row.incident_id)
            seen[row.incident_id] = incident is not None and can_see(
                viewer, incident, users=listed.users, units=listed.units
            )
        if row.incident_id is None or seen[row.incident_id]:
            visible.append(row)
    next_before = rows[-1].id if len(rows) == limit else None
    return NotificationPage(items=await _out(session, visible), next_before_id=next_before)


@router.post("/notifications/test", response_model=NotificationOut, status_code=202)
async def send_test_notification(
    principal: IntegrationManager,
    body: TrialNotificationIn,
    config: EventConfiguration,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> NotificationOut:
    """Queue a test message to a person along their channel order (to check the channels)."""
    now = context.clock.now()
    recipient = await recipient_for(
        session, config=config, person_id=body.person, default_language=context.settings.language
    )
    if recipient is None:
        raise ValidationFailed(_("person: no person has the id %(id)s.") % {"id": body.person})
    if not recipient.routes:
        raise ConflictError(_("No configured channel reaches this person."))
    notification = await queue_notification(
        session,
        new=NewNotification(
            key=f"test:{body.person}:{now.isoformat()}",
            kind=NotificationKind.TEST,
            recipient=recipient,
            payload={"requested_by": principal.username},
        ),
        now=now,
        link_hours=config.notifications.acknowledge_link_hours,
    )
    if notification is None:
        raise ConflictError(_("A test message to this person was just queued."))
    await record_audit(
        session,
        actor=Actor.from_principal(principal),
        action="notification.test",
        target_type="notification",
        target_id=str(notification.id),
        at=now,
        after={"person": body.person, "channels": [c["channel"] for c in notification.channels]},
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    [out] = await _out(session, [notification])
    return out
