"""The syslog load generator of the syslog benches, run as its own process.

Every datagram is built before the first is sent (its RFC 3164 time is the time it is
due), so sending costs one ``send`` on a connected socket per line. The sender runs
in its own process, pinned to the last core when there are two or more, so that its
CPU is neither charged to the server nor taken from it; it reports its own CPU time.

One line in ``fire_every`` is a root login from an address never seen before (one
detection alert each); the others are everyday session lines that match nothing.

Run: ``python -m bench.syslog_sender PORT RATE SECONDS FIRE_EVERY``; prints one JSON
document: lines sent, the sender's CPU seconds, and address → Unix time sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

TICK_SECONDS = 0.005
# Documentation ranges only: 762 addresses, one alert each.
ADDRESSES = [
    f"{prefix}.{host}"
    for prefix in ("192.0.2", "198.51.100", "203.0.113")
    for host in range(1, 255)
]


@dataclass(frozen=True, slots=True)
class SenderReport:
    sent: int
    cpu_seconds: float
    sent_at: dict[str, float]


def line(stamp: str, index: int, address: str | None) -> bytes:
    if address is not None:
        body = f"sshd[{index % 30000}]: Accepted password for root from {address} port 4022 ssh2"
    else:
        body = f"sshd[{index % 30000}]: pam_unix(sshd:session): session closed for user deploy"
    return f"<38>{stamp} gw01 {body}".encode()


def build(
    start: float, rate: int, seconds: int, fire_every: int
) -> tuple[list[bytes], dict[int, str]]:
    """Every datagram, and the index → address of the firing ones."""
    total = rate * seconds
    limit = min(total // fire_every, len(ADDRESSES))
    datagrams: list[bytes] = []
    firing: dict[int, str] = {}
    stamp_second = -1
    stamp = ""
    for index in range(total):
        second = int(start + index / rate)
        if second != stamp_second:
            moment = datetime.fromtimestamp(second, UTC)
            stamp = f"{moment:%b} {moment.day:2d} {moment:%H:%M:%S}"  # "Jun  1 08:00:00"
            stamp_second = second
        address = None
        if index % fire_every == fire_every - 1 and len(firing) < limit:
            address = ADDRESSES[len(firing)]
            firing[index] = address
        datagrams.append(line(stamp, index, address))
    return datagrams, firing


async def send(port: int, rate: int, seconds: int, fire_every: int) -> SenderReport:
    """Send at a steady pace: each tick's lines are due at their own time."""
    start = time.time() + 0.5
    datagrams, firing = build(start, rate, seconds, fire_every)
    cpu_before = time.process_time()
    sent_at: dict[str, float] = {}
    per_tick = max(1, round(rate * TICK_SECONDS))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
        sender.connect(("127.0.0.1", port))
        await asyncio.sleep(max(0.0, start - time.time()))
        index = 0
        total = len(datagrams)
        while index < total:
            end = min(total, index + per_tick)
            for position in range(index, end):
                address = firing.get(position)
                if address is not None:
                    sent_at[address] = time.time()
                with contextlib.suppress(BlockingIOError):  # the kernel's buffer is full
                    sender.send(datagrams[position])
            index = end
            due = start + index / rate
            await asyncio.sleep(max(0.0, due - time.time()))
    return SenderReport(index, time.process_time() - cpu_before, sent_at)


def pin_to_last_core() -> None:
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) >= 2:
        os.sched_setaffinity(0, {cores[-1]})


async def run_sender(port: int, rate: int, seconds: int, fire_every: int) -> SenderReport:
    """Run this module in a child process and read its report."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.syslog_sender",
        str(port),
        str(rate),
        str(seconds),
        str(fire_every),
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the syslog sender failed ({process.returncode})")
    document = json.loads(output)
    return SenderReport(document["sent"], document["cpu_seconds"], document["sent_at"])


def main(arguments: list[str]) -> int:
    port, rate, seconds, fire_every = (int(value) for value in arguments[:4])
    pin_to_last_core()
    report = asyncio.run(send(port, rate, seconds, fire_every))
    document = {"sent": report.sent, "cpu_seconds": report.cpu_seconds, "sent_at": report.sent_at}
    print(json.dumps(document))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
