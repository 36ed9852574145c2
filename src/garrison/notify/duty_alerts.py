"""Duty events that people must hear of: a missed check-in, a post about to be left empty.

- ``CheckInMissed`` goes to the person on duty at the commander post (the shift
  commander); when nobody holds it, to the leader of the post's unit.
- ``CoverageGapDetected`` goes to the leader of the post's unit.

Each is queued once per event and recipient (the key says which).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from garrison.config import EventConfig
from garrison.duty.events import CheckInMissed, CoverageGapDetected
from garrison.notify.models import Notification
from garrison.notify.recipients import find_person, recipient_for
from garrison.notify.service import NewNotification, queue_notification
from garrison.notify.vocabulary import NotificationKind


def _post_name(config: EventConfig, post_id: str) -> str:
    return next((p.name for p in config.organisation.posts if p.id == post_id), post_id)


def _person_name(config: EventConfig, person_id: str | None) -> str:
    if person_id is None:
        return ""
    person = find_person(config, person_id)
    return person.name if person is not None else person_id


def unit_leader(config: EventConfig, unit_id: str | None) -> str | None:
    return next((u.leader for u in config.organisation.units if u.id == unit_id), None)


async def notify_check_in_missed(
    session: AsyncSession,
    *,
    event: CheckInMissed,
    config: EventConfig,
    now: datetime,
    default_language: str,
) -> Notification | None:
    to = event.commander_person_id or event.unit_leader_id or unit_leader(config, event.unit_id)
    if to is None:
        return None
    recipient = await recipient_for(
        session, config=config, person_id=to, default_language=default_language
    )
    if recipient is None:
        return None
    key = f"check_in_missed:{event.post_id}:{event.person_id}:{event.shift_start.isoformat()}:{to}"
    payload = {
        "post_id": event.post_id,
        "post_name": _post_name(config, event.post_id),
        "person_id": event.person_id,
        "person_name": _person_name(config, event.person_id),
        "shift_start": event.shift_start.isoformat(),
        "shift_end": event.shift_end.isoformat(),
        "due_at": event.due_at.isoformat(),
        "timezone": config.event.timezone,
    }
    new = NewNotification(
        key=key, kind=NotificationKind.CHECK_IN_MISSED, recipient=recipient, payload=payload
    )
    return await queue_notification(
        session, new=new, now=now, link_hours=config.notifications.acknowledge_link_hours
    )


async def notify_coverage_gap(
    session: AsyncSession,
    *,
    event: CoverageGapDetected,
    config: EventConfig,
    now: datetime,
    default_language: str,
) -> Notification | None:
    unit_id = event.unit_id or next(
        (p.unit for p in config.organisation.posts if p.id == event.post_id), None
    )
    to = unit_leader(config, unit_id)
    if to is None:
        return None
    recipient = await recipient_for(
        session, config=config, person_id=to, default_language=default_language
    )
    if recipient is None:
        return None
    key = (
        f"coverage_gap:{event.post_id}:{event.starts_at.isoformat()}:"
        f"{event.ends_at.isoformat()}:{to}"
    )
    payload = {
        "post_id": event.post_id,
        "post_name": _post_name(config, event.post_id),
        "unit_id": unit_id,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "previous_person_id": event.previous_person_id,
        "previous_person_name": _person_name(config, event.previous_person_id),
        "timezone": config.event.timezone,
    }
    new = NewNotification(
        key=key, kind=NotificationKind.COVERAGE_GAP, recipient=recipient, payload=payload
    )
    return await queue_notification(
        session, new=new, now=now, link_hours=config.notifications.acknowledge_link_hours
    )
