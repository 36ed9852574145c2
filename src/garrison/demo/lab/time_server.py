"""The event's time server: NTP over UDP, and the daytime protocol (RFC 867) over TCP.

Both read the lab's clock, so a test moving a ManualClock sees the time served
move with it. Faults: DOWN (nothing listens) and HANG (requests go unanswered).
"""

from __future__ import annotations

import asyncio
import struct
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from garrison.clock import Clock
from garrison.demo.lab.datagram_target import DatagramTarget, Peer
from garrison.demo.lab.stream_target import drain_until_eof
from garrison.demo.lab.targets import FaultKind

NTP_PACKET_BYTES = 48
_NTP_EPOCH = datetime(1900, 1, 1, tzinfo=UTC)
_NTP_CLIENT_MODE = 3
_NTP_SERVER_MODE = 4
_STRATUM = 1
_PRECISION = -20  # about a microsecond, as 2**-20 seconds
_REFERENCE_ID = b"LOCL"
# leap indicator, version, mode | stratum | poll | precision | root delay | root dispersion |
# reference id | reference, originate, receive and transmit timestamps
_NTP_FORMAT = "!BBbbII4sQQQQ"


class TimeServer(DatagramTarget):
    kind: ClassVar[str] = "ntp"
    supported_faults: ClassVar[frozenset[FaultKind]] = frozenset({FaultKind.DOWN, FaultKind.HANG})
    max_datagram_bytes: ClassVar[int] = 1024

    def __init__(self, *, name: str, port: int, clock: Clock) -> None:
        super().__init__(name=name, port=port)
        self._clock = clock

    def _answer_datagram(self, data: bytes, peer: Peer) -> bytes | None:
        if self.fault is FaultKind.HANG or len(data) < NTP_PACKET_BYTES:
            return None
        first, _stratum, poll = struct.unpack_from("!BBb", data)
        version, mode = (first >> 3) & 0b111, first & 0b111
        if mode != _NTP_CLIENT_MODE or not 1 <= version <= 4:
            return None
        client_transmit = data[40:48]
        now = ntp_timestamp(self._clock.now())
        return struct.pack(
            _NTP_FORMAT,
            (version << 3) | _NTP_SERVER_MODE,  # leap indicator 0: no warning
            _STRATUM,
            poll,
            _PRECISION,
            0,
            0,
            _REFERENCE_ID,
            now,
            int.from_bytes(client_transmit, "big"),
            now,
            now,
        )

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.fault is FaultKind.HANG:
            await drain_until_eof(reader)
            return
        moment = self._clock.now().astimezone(UTC)
        writer.write(f"{moment.strftime('%Y-%m-%dT%H:%M:%SZ')}\r\n".encode("ascii"))
        await writer.drain()


def ntp_timestamp(moment: datetime) -> int:
    """``moment`` as a 64-bit NTP timestamp: seconds since 1900 in 32.32 fixed point."""
    elapsed = moment - _NTP_EPOCH
    seconds = elapsed.days * 86_400 + elapsed.seconds
    fraction = (elapsed.microseconds << 32) // 1_000_000
    return ((seconds & 0xFFFFFFFF) << 32) | fraction


def read_ntp_timestamp(value: int) -> datetime:
    """The inverse of :func:`ntp_timestamp` (era 0: up to 2036)."""
    seconds, fraction = value >> 32, value & 0xFFFFFFFF
    return _NTP_EPOCH + timedelta(
        seconds=seconds, microseconds=(fraction * 1_000_000 + (1 << 31)) >> 32
    )
