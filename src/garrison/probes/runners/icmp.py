"""ICMP checks: echo requests written by hand, loss and round-trip time judged.

An unprivileged ICMP datagram socket is used where ``net.ipv4.ping_group_range``
allows it (the kernel then sets the identifier and filters replies); otherwise a
raw socket, which needs root (or CAP_NET_RAW). Replies are matched by sequence
and a random token in the payload, so parallel checks never take each other's.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import struct
from dataclasses import dataclass
from time import perf_counter
from typing import Any, Literal

from garrison.config.checks import IcmpCheck
from garrison.i18n import gettext as _
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners._net import resolve
from garrison.probes.runners._outcome import ProbeFailure, Trace, guarded

SocketMode = Literal["auto", "datagram", "raw"]
_ECHO = {socket.AF_INET: (8, 0), socket.AF_INET6: (128, 129)}
_PROTOCOL = {socket.AF_INET: socket.IPPROTO_ICMP, socket.AF_INET6: socket.IPPROTO_ICMPV6}
_HEADER = struct.Struct("!BBHHH")
# Time left for the verdict after the last echo's wait.
_MARGIN = 0.9


@dataclass(frozen=True, slots=True)
class EchoOutcome:
    mode: str
    round_trips_ms: tuple[float | None, ...]

    @property
    def received(self) -> int:
        return sum(1 for rtt in self.round_trips_ms if rtt is not None)

    @property
    def loss_percent(self) -> float:
        return 100.0 * (len(self.round_trips_ms) - self.received) / len(self.round_trips_ms)


async def run_icmp_check(check: IcmpCheck, *, run: RunContext) -> CheckResult:
    trace = Trace()
    return await guarded(
        _run(check, run, trace), deadline=check.timeout, run=run, trace=trace, check_id=check.id
    )


async def _run(check: IcmpCheck, run: RunContext, trace: Trace) -> CheckResult:
    (family, address), *_others = await resolve(check.host, 0, trace, kind=socket.SOCK_RAW)
    trace.step = "echo"
    wait = check.timeout * _MARGIN / check.count
    outcome = await ping(family, address, count=check.count, wait=wait)
    trips = [rtt for rtt in outcome.round_trips_ms if rtt is not None]
    details: dict[str, Any] = {
        "address": address,
        "socket": outcome.mode,
        "sent": check.count,
        "received": outcome.received,
        "loss_percent": round(outcome.loss_percent, 1),
    }
    if trips:
        details.update(
            rtt_min_ms=min(trips), rtt_avg_ms=sum(trips) / len(trips), rtt_max_ms=max(trips)
        )
    failures: list[str] = []
    if outcome.loss_percent > check.max_loss_percent:
        failures.append(
            _(
                "{lost} of {sent} echo requests got no reply ({loss:.0f} %, limit {limit:g} %)"
            ).format(
                lost=check.count - outcome.received,
                sent=check.count,
                loss=outcome.loss_percent,
                limit=check.max_loss_percent,
            )
        )
    if trips and check.max_rtt_ms is not None and details["rtt_avg_ms"] > check.max_rtt_ms:
        failures.append(
            _("the average round trip is {rtt:.1f} ms, the limit is {limit:g} ms").format(
                rtt=details["rtt_avg_ms"], limit=check.max_rtt_ms
            )
        )
    if failures:
        return trace.result(run, ok=False, reason="; ".join(failures), details=details)
    return trace.result(run, ok=True, details=details)


async def ping(
    family: socket.AddressFamily,
    address: str,
    *,
    count: int,
    wait: float,
    mode: SocketMode = "auto",
) -> EchoOutcome:
    """Send ``count`` echo requests one after the other, each waiting ``wait`` s for its reply."""
    sock, used = _open_socket(family, mode)
    with sock:
        token = secrets.token_bytes(8)
        identifier = int.from_bytes(os.urandom(2), "big")
        trips = [
            await _echo(sock, family, address, used, identifier, sequence, token, wait)
            for sequence in range(1, count + 1)
        ]
    return EchoOutcome(mode=used, round_trips_ms=tuple(trips))


def _open_socket(family: socket.AddressFamily, mode: SocketMode) -> tuple[socket.socket, str]:
    kinds: list[tuple[str, socket.SocketKind]] = []
    if mode in ("auto", "datagram"):
        kinds.append(("datagram", socket.SOCK_DGRAM))
    if mode in ("auto", "raw"):
        kinds.append(("raw", socket.SOCK_RAW))
    last_error: OSError | None = None
    for name, kind in kinds:
        try:
            sock = socket.socket(family, kind, _PROTOCOL[family])
        except OSError as error:
            last_error = error
            continue
        sock.setblocking(False)
        return sock, name
    raise ProbeFailure(
        _(
            "this host may not send ICMP echo ({problem}); allow the group in "
            "net.ipv4.ping_group_range or run with CAP_NET_RAW"
        ).format(problem=last_error.strerror if last_error else "")
    )


async def _echo(
    sock: socket.socket,
    family: socket.AddressFamily,
    address: str,
    mode: str,
    identifier: int,
    sequence: int,
    token: bytes,
    wait: float,
) -> float | None:
    loop = asyncio.get_running_loop()
    request_type, reply_type = _ECHO[family]
    packet = _echo_request(request_type, identifier, sequence, token)
    sent_at = perf_counter()
    await loop.sock_sendto(sock, packet, (address, 0))
    try:
        async with asyncio.timeout(wait):
            while True:
                data = await loop.sock_recv(sock, 2048)
                if family == socket.AF_INET and mode == "raw" and data:
                    data = data[(data[0] & 0x0F) * 4 :]  # a raw IPv4 socket keeps the IP header
                if _is_reply(data, reply_type, identifier, sequence, token, check_id=mode == "raw"):
                    return (perf_counter() - sent_at) * 1000.0
    except TimeoutError:
        return None


def _echo_request(kind: int, identifier: int, sequence: int, token: bytes) -> bytes:
    payload = token + sequence.to_bytes(8, "big")
    header = _HEADER.pack(kind, 0, 0, identifier, sequence)
    checksum = _checksum(header + payload)
    return _HEADER.pack(kind, 0, checksum, identifier, sequence) + payload


def _is_reply(
    data: bytes, reply_type: int, identifier: int, sequence: int, token: bytes, *, check_id: bool
) -> bool:
    if len(data) < _HEADER.size + len(token):
        return False
    kind, code, _checksum_field, got_identifier, got_sequence = _HEADER.unpack_from(data)
    return (
        kind == reply_type
        and code == 0
        and got_sequence == sequence
        and (not check_id or got_identifier == identifier)
        and data[_HEADER.size : _HEADER.size + len(token)] == token
    )


def _checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071); the kernel recomputes it for IPv6 and ping sockets."""
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
