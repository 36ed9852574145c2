"""Acknowledging an incident with the one-click link a notification carried.

The link acknowledges as the person it was sent to, once, before it expires.
Looking at it (GET) changes nothing, so mail scanners that fetch links do no harm;
only the confirmation (POST) acts. Using it is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.models import User
from garrison.auth.principal import RequestOrigin
from garrison.config import EventConfig
from garrison.i18n import gettext as _
from garrison.incidents.models import Incident
from garrison.incidents.transitions import acknowledge_incident
from garrison.incidents.vocabulary import IncidentStatus
from garrison.notify.errors import InvalidLink, LinkUnusable
from garrison.notify.links import read_ack_token
from garrison.notify.models import Notification
from garrison.notify.recipients import find_person


class LinkState(StrEnum):
    READY = "ready"
    USED = "used"
    EXPIRED = "expired"
    SETTLED = "settled"  # the incident is no longer waiting for an acknowledgement


@dataclass(frozen=True, slots=True)
class LinkView:
    notification: Notification
    incident: Incident
    state: LinkState


async def inspect_link(
    session: AsyncSession, *, secret: bytes, token: str, now: datetime
) -> LinkView:
    """What the link is for and whether it can still be used; InvalidLink when not genuine."""
    claim = read_ack_token(secret, token)
    notification = await session.get(Notification, claim.notification_id)
    if (
        notification is None
        or notification.incident_id is None
        or notification.recipient_id != claim.person_id
        or notification.ack_expires_at is None
        or int(notification.ack_expires_at.timestamp()) != int(claim.expires_at.timestamp())
    ):
        raise InvalidLink(_("This acknowledgement link is not valid."))
    incident = await session.get(Incident, notification.incident_id)
    if incident is None:
        raise InvalidLink(_("This acknowledgement link is not valid."))
    if notification.ack_used_at is not None:
        state = LinkState.USED
    elif now >= notification.ack_expires_at:
        state = LinkState.EXPIRED
    elif incident.status != IncidentStatus.TRIGGERED.value:
        state = LinkState.SETTLED
    else:
        state = LinkState.READY
    return LinkView(notification=notification, incident=incident, state=state)


async def actor_for_person(
    session: AsyncSession, *, config: EventConfig | None, person_id: str, name: str
) -> Actor:
    """The person as the audit log and the timeline name them: their account if they have one."""
    person = find_person(config, person_id) if config is not None else None
    if person is not None and person.username is not None:
        user_id = await session.scalar(select(User.id).where(User.username == person.username))
        if user_id is not None:
            return Actor(kind="user", id=str(user_id), name=person.username)
    return Actor(kind="user", id=None, name=name)


async def use_link(
    session: AsyncSession,
    *,
    secret: bytes,
    token: str,
    config: EventConfig | None,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> LinkView:
    """Acknowledge the incident as the link's person; LinkUnusable when it cannot be used."""
    view = await inspect_link(session, secret=secret, token=token, now=now)
    if view.state == LinkState.USED:
        raise LinkUnusable(_("This link was used already; it works only once."))
    if view.state == LinkState.EXPIRED:
        raise LinkUnusable(_("This link has expired."))
    if view.state == LinkState.SETTLED:
        raise LinkUnusable(
            _("Incident #%(id)d is no longer waiting for an acknowledgement.")
            % {"id": view.incident.id}
        )
    notification = view.notification
    # Spend the link first, conditionally: of two clicks at once only one gets here.
    spent = await session.execute(
        update(Notification)
        .where(Notification.id == notification.id, Notification.ack_used_at.is_(None))
        .values(ack_used_at=now, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    if getattr(spent, "rowcount", 1) != 1:
        raise LinkUnusable(_("This link was used already; it works only once."))
    actor = await actor_for_person(
        session,
        config=config,
        person_id=notification.recipient_id,
        name=notification.recipient_name,
    )
    await acknowledge_incident(
        session,
        incident=view.incident,
        actor=actor,
        now=now,
        note=_("Acknowledged with the link sent to %(name)s.")
        % {"name": notification.recipient_name},
        origin=origin,
    )
    await record_audit(
        session,
        actor=actor,
        action="notification.acknowledge_link.used",
        target_type="notification",
        target_id=str(notification.id),
        at=now,
        after={
            "incident_id": view.incident.id,
            "person_id": notification.recipient_id,
            "channel": notification.delivered_channel,
        },
        origin=origin,
    )
    await session.refresh(notification)
    return LinkView(notification=notification, incident=view.incident, state=LinkState.USED)
