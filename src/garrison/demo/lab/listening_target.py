"""The lifecycle every lab target shares, whatever it listens with.

A subclass says how to open and close its listener; this class owns the name,
the port, the current fault and the DOWN fault, which looks the same for every
protocol: the listener is closed and open connections are dropped.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import ClassVar

from garrison.demo.lab.errors import UnsupportedFaultError
from garrison.demo.lab.targets import LAB_HOST, FaultKind, TargetStatus

_MAX_PORT = 65535


class ListeningTarget(ABC):
    kind: ClassVar[str]
    supported_faults: ClassVar[frozenset[FaultKind]]

    def __init__(self, *, name: str, port: int) -> None:
        if not name:
            raise ValueError("a lab target needs a name")
        if not 0 <= port <= _MAX_PORT:
            raise ValueError(f"port {port} is out of range")
        self._name = name
        self._port = port
        self._fault: FaultKind | None = None
        self._started = False
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def port(self) -> int:
        """The port served; the bound one once started, even if it was asked as 0."""
        return self._port

    @property
    def fault(self) -> FaultKind | None:
        return self._fault

    def status(self) -> TargetStatus:
        return TargetStatus(
            name=self._name,
            kind=self.kind,
            host=LAB_HOST,
            port=self._port,
            listening=self._is_listening(),
            fault=self._fault,
        )

    async def start(self) -> None:
        async with self._lock:
            if self._started:
                return
            # Bind even when starting DOWN, so that a port asked as 0 becomes known.
            await self._open_listener()
            self._started = True
            if self._fault is FaultKind.DOWN:
                await self._close_listener()

    async def stop(self) -> None:
        async with self._lock:
            self._started = False
            await self._close_listener()

    async def set_fault(self, fault: FaultKind | None) -> None:
        if fault is not None and fault not in self.supported_faults:
            raise UnsupportedFaultError(
                f"lab target {self._name!r} ({self.kind}) cannot simulate {fault.value!r}"
            )
        async with self._lock:
            # The fault is recorded once in effect: a target that fails to listen again stays DOWN.
            if self._started and fault is FaultKind.DOWN:
                await self._close_listener()
            elif self._started and not self._is_listening():
                await self._open_listener()
            self._fault = fault

    @abstractmethod
    def _is_listening(self) -> bool: ...

    @abstractmethod
    async def _open_listener(self) -> None:
        """Listen on the port (and learn it, if asked as 0); raise ListenError if impossible."""

    @abstractmethod
    async def _close_listener(self) -> None:
        """Close the listener, if open, and drop every connection, even if it was not."""
