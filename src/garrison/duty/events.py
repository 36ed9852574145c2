"""What the duty domain tells the rest of Garrison, over the bus."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from garrison.bus.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CoverageGapDetected(DomainEvent):
    """A post will have (or has) nobody on duty over ``[starts_at, ends_at)``; published once
    per gap, when the gap starts within the next 24 hours."""

    topic = "garrison.duty.coverage_gap_detected"

    post_id: str
    starts_at: datetime
    ends_at: datetime
    unit_id: str | None = None
    # Whoever holds the post just before the gap, if anyone: the person to keep on.
    previous_person_id: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CheckInMissed(DomainEvent):
    """The person on duty did not confirm presence within the grace period of their shift.

    ``commander_person_id`` is the person on duty at the commander post (the shift
    commander), who must hear of it; ``unit_leader_id`` leads the post's unit.
    """

    topic = "garrison.duty.check_in_missed"

    post_id: str
    person_id: str
    shift_start: datetime
    shift_end: datetime
    due_at: datetime
    commander_post_id: str | None = None
    commander_person_id: str | None = None
    unit_id: str | None = None
    unit_leader_id: str | None = None
