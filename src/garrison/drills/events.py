"""What drills say over the bus."""

from __future__ import annotations

import dataclasses

from garrison.bus.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class DrillStarted(DomainEvent):
    """Wakes the drill worker; ``announced`` False: participants are not told."""

    topic = "garrison.drills.started"

    run_id: int
    plan_id: str
    announced: bool
