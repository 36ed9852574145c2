"""What the directive domain says over the bus."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from garrison.bus.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class DirectiveIssued(DomainEvent):
    """A new directive: wakes the directive worker, which watches its deadline."""

    topic = "garrison.directives.issued"

    directive_id: int
    deadline: datetime
    incident_id: int | None = None
