"""An SSH server whose authentication log is shipped to Garrison's syslog over UDP.

It answers connections with an SSH banner (nothing more: only reachability is
probed). Under the ATTACK fault, a burst of failed logins from one address
(documentation range) is logged, as an SSH brute force would leave them, and each
line goes to Garrison's syslog source at once, so that detection has something to
find. Faults: DOWN, HANG, RESET (as a TCP service) and ATTACK.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC
from typing import ClassVar

from garrison.clock import Clock
from garrison.demo.lab.targets import LAB_HOST, FaultKind
from garrison.demo.lab.tcp_service import TcpService

logger = logging.getLogger(__name__)

ATTACKER_ADDRESS = "203.0.113.66"
BURST_LINES = 20
_ACCOUNTS = ("root", "admin", "administrator", "oracle", "test")


class SshServer(TcpService):
    kind: ClassVar[str] = "ssh"
    supported_faults: ClassVar[frozenset[FaultKind]] = frozenset(
        {FaultKind.DOWN, FaultKind.HANG, FaultKind.RESET, FaultKind.ATTACK}
    )

    def __init__(
        self, *, name: str, port: int, clock: Clock, syslog_port: int, hostname: str = "ssh-gw"
    ) -> None:
        super().__init__(name=name, port=port, banner="SSH-2.0-OpenSSH_9.6 GarrisonLab")
        if not 0 < syslog_port < 65536:
            raise ValueError(f"syslog port {syslog_port} is out of range")
        self._clock = clock
        self._syslog_port = syslog_port
        self._hostname = hostname
        self.lines_sent = 0

    async def set_fault(self, fault: FaultKind | None) -> None:
        attacked = fault is FaultKind.ATTACK and self.fault is not FaultKind.ATTACK
        await super().set_fault(fault)
        if attacked:
            await self._send_burst()

    def burst(self) -> list[bytes]:
        """The log lines of one brute force, as BSD syslog (RFC 3164) in UTC."""
        now = self._clock.now().astimezone(UTC)
        stamp = f"{now:%b} {now.day:>2} {now:%H:%M:%S}"
        lines = []
        for number in range(BURST_LINES):
            account = _ACCOUNTS[number % len(_ACCOUNTS)]
            lines.append(
                f"<38>{stamp} {self._hostname} sshd[{4100 + number}]: Failed password for "
                f"{account} from {ATTACKER_ADDRESS} port {40000 + number} ssh2".encode("ascii")
            )
        return lines

    async def _send_burst(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            transport, _protocol = await loop.create_datagram_endpoint(
                asyncio.DatagramProtocol, remote_addr=(LAB_HOST, self._syslog_port)
            )
        except OSError as exc:
            logger.warning("demo lab: %s cannot send its log: %s", self.name, exc)
            return
        try:
            for line in self.burst():
                with contextlib.suppress(OSError):
                    transport.sendto(line)
                    self.lines_sent += 1
        finally:
            transport.close()
        logger.info(
            "demo lab: %s under brute force from %s (%d lines to syslog port %d)",
            self.name,
            ATTACKER_ADDRESS,
            BURST_LINES,
            self._syslog_port,
        )
