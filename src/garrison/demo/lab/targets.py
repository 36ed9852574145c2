"""What every lab target offers, whatever protocol it speaks.

Every kind of target (HTTP, TCP, DNS, SIP, SMTP, syslog, time) implements
:class:`LabTarget`; the lab only ever starts, stops, faults and describes its
targets through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

LAB_HOST = "127.0.0.1"
"""The only address the lab ever binds: it must never be reachable from elsewhere."""


class FaultKind(StrEnum):
    DOWN = "down"
    """Nothing listens: connections are refused."""
    ERROR = "error"
    """The service answers, with an error (HTTP 503)."""
    SLOW = "slow"
    """The service answers correctly, but late."""
    HANG = "hang"
    """Connections are accepted and never answered."""
    RESET = "reset"
    """Connections are accepted, then reset at once."""
    HIJACK = "hijack"
    """A DNS server answers one of its names with a foreign address."""
    DEFACE = "deface"
    """A web site serves a defaced page instead of its own."""
    ATTACK = "attack"
    """A server is attacked: its log, shipped to Garrison's syslog, shows it (brute force)."""


@dataclass(frozen=True, slots=True)
class TargetStatus:
    name: str
    kind: str
    host: str
    port: int
    listening: bool
    fault: FaultKind | None


class LabTarget(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def supported_faults(self) -> frozenset[FaultKind]: ...

    @property
    def fault(self) -> FaultKind | None: ...

    async def start(self) -> None:
        """Serve; listening (unless the fault is DOWN) when this returns."""
        ...

    async def stop(self) -> None:
        """Close the listener and every open connection."""
        ...

    async def set_fault(self, fault: FaultKind | None) -> None:
        """Misbehave as ``fault`` from now on, or behave again when ``None``."""
        ...

    def status(self) -> TargetStatus: ...
