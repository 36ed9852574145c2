"""One live-update hub per process: bus events in, small "refetch this" notes out.

The hub subscribes to the domain events the console shows while at least one
browser is connected, and fans each event out to the connected clients that may
see it (permission and, for incidents, need-to-know). A client gets only the
name of the page area that changed (and an incident id): the browser fetches the
server-rendered fragment again, so no business data crosses the stream.

Each client has a bounded queue. A client that falls behind loses its oldest
updates and is told to refetch everything instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.bus.abc import Bus, Subscription
from garrison.bus.events import DomainEvent
from garrison.detection.events import DetectionAlertRaised
from garrison.directives.events import DirectiveIssued
from garrison.duty.events import CheckInMissed, CoverageGapDetected
from garrison.errors import NotFoundError
from garrison.incidents import events as incident_events
from garrison.incidents.access import Viewer, can_see
from garrison.incidents.service import access_list, get_incident
from garrison.probes.events import CheckStateChanged, ServiceStateChanged
from garrison.storage.engine import reading

logger = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 32
CONSUMER = "console-hub"


@dataclass(frozen=True, slots=True)
class LiveUpdate:
    """What changed: a page area (``services``, ``incidents``, ``duty``, ``directives``,
    ``security``) and, for incidents, which one."""

    area: str
    incident_id: int | None = None

    def as_json(self) -> dict[str, object]:
        return {"area": self.area, "incident_id": self.incident_id}


_AREA_PERMISSION = {
    "services": Permission.CHECK_READ,
    "incidents": Permission.INCIDENT_READ,
    "duty": Permission.DUTY_READ,
    "directives": Permission.DIRECTIVE_READ,
    "security": Permission.DETECTION_READ,
}

_INCIDENT_EVENTS: tuple[type[DomainEvent], ...] = (
    incident_events.IncidentOpened,
    incident_events.IncidentStateChanged,
    incident_events.IncidentAcknowledged,
    incident_events.IncidentSeverityChanged,
    incident_events.IncidentAssigned,
)
WATCHED_EVENTS: dict[type[DomainEvent], str] = {
    ServiceStateChanged: "services",
    CheckStateChanged: "services",
    **dict.fromkeys(_INCIDENT_EVENTS, "incidents"),
    CoverageGapDetected: "duty",
    CheckInMissed: "duty",
    DirectiveIssued: "directives",
    DetectionAlertRaised: "security",
}


def update_for(event: DomainEvent) -> LiveUpdate | None:
    area = WATCHED_EVENTS.get(type(event))
    if area is None:
        return None
    incident_id = getattr(event, "incident_id", None) if area == "incidents" else None
    return LiveUpdate(area=area, incident_id=incident_id)


@dataclass(eq=False)
class ConsoleClient:
    """One connected browser: who it is and its bounded queue of updates."""

    principal: Principal
    viewer: Viewer
    queue_size: int = DEFAULT_QUEUE_SIZE
    lagged: bool = False
    _queue: deque[LiveUpdate] = field(init=False)
    _ready: asyncio.Event = field(init=False, default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._queue = deque(maxlen=self.queue_size)

    def offer(self, update: LiveUpdate) -> None:
        if len(self._queue) == self.queue_size:
            # The deque drops the oldest; the client must refetch to be sure it is current.
            self.lagged = True
        self._queue.append(update)
        self._ready.set()

    async def take(self, *, wait_seconds: float) -> tuple[bool, list[LiveUpdate]]:
        """Wait up to ``wait_seconds``; returns (lagged, updates) and empties the queue."""
        if not self._queue:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), wait_seconds)
        self._ready.clear()
        updates = list(self._queue)
        self._queue.clear()
        lagged, self.lagged = self.lagged, False
        return lagged, updates


class ConsoleHub:
    """Fans bus events out to connected clients; subscribed only while someone listens."""

    def __init__(
        self,
        *,
        bus: Bus,
        sessions: async_sessionmaker[AsyncSession],
        queue_size: int = DEFAULT_QUEUE_SIZE,
    ) -> None:
        self._bus = bus
        self._sessions = sessions
        self.queue_size = queue_size
        self._clients: set[ConsoleClient] = set()
        self._pumps: list[asyncio.Task[None]] = []

    @property
    def clients(self) -> Sequence[ConsoleClient]:
        return tuple(self._clients)

    def connect(self, principal: Principal, viewer: Viewer) -> ConsoleClient:
        client = ConsoleClient(principal=principal, viewer=viewer, queue_size=self.queue_size)
        self._clients.add(client)
        if not self._pumps:
            self._start()
        return client

    async def disconnect(self, client: ConsoleClient) -> None:
        self._clients.discard(client)
        if not self._clients:
            await self.close()

    async def close(self) -> None:
        pumps, self._pumps = self._pumps, []
        for task in pumps:
            task.cancel()
        for task in pumps:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _start(self) -> None:
        for event_type in WATCHED_EVENTS:
            subscription = self._bus.subscribe(event_type, consumer=CONSUMER)
            self._pumps.append(
                asyncio.create_task(self._pump(subscription), name=f"console:{event_type.topic}")
            )

    async def _pump(self, subscription: Subscription[DomainEvent]) -> None:
        try:
            async for event in subscription:
                try:
                    await self.deliver(event)
                except Exception:
                    # One event that cannot be delivered must not stop the live updates.
                    logger.exception("console hub could not deliver %s", type(event).__name__)
        finally:
            await subscription.close()

    async def deliver(self, event: DomainEvent) -> int:
        """Offer ``event`` to every client allowed to see it; returns how many got it."""
        update = update_for(event)
        if update is None or not self._clients:
            return 0
        permission = _AREA_PERMISSION[update.area]
        audience = [c for c in self._clients if c.principal.can(permission)]
        if update.incident_id is not None and audience:
            audience = await self._need_to_know(update.incident_id, audience)
        for client in audience:
            client.offer(update)
        return len(audience)

    async def _need_to_know(
        self, incident_id: int, clients: list[ConsoleClient]
    ) -> list[ConsoleClient]:
        async with self._sessions() as session:
            reading(session)
            try:
                incident = await get_incident(session, incident_id=incident_id)
            except NotFoundError:
                return []
            listed = await access_list(session, incident_id=incident_id)
        return [
            c
            for c in clients
            if can_see(c.viewer, incident, users=listed.users, units=listed.units)
        ]
