"""CPU time per line of the ``sshd`` parser on interleaved sessions.

Builds a log of many sshd sessions whose lines interleave, as a busy server writes
them (connections, failed and accepted logins, PAM lines, pre-authentication
closes, key-exchange errors that name no address, scans), and parses it with one
``sshd`` parser, as one log source does. Reports the process CPU time per line
(best of several rounds, so other work on the machine skews it less) and the load
average at the start. Run: ``python -m bench.sshd_parser_cpu [sessions] [rounds]``.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import UTC, datetime

from bench.results import Measurement, print_table
from garrison.detection.parsers import ParseContext, create_parser

NAME = "sshd_parser_cpu"
SESSIONS = 20_000
ROUNDS = 5
CONCURRENT = 200
LINES_PER_SECOND = 50
RECEIVED_AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _session(pid: int, rng: random.Random) -> list[str]:
    """The message texts of one connection, in order."""
    address = f"198.51.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    port = rng.randrange(1024, 65535)
    opening = f"Connection from {address} port {port} on 192.0.2.1 port 22"
    kind = rng.random()
    if kind < 0.35:  # password guessing
        user = rng.choice(("root", "admin", "oracle", "test"))
        return [
            opening,
            f"Invalid user {user} from {address} port {port}",
            f"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
            f"ruser= rhost={address}",
            f"Failed password for invalid user {user} from {address} port {port} ssh2",
            f"Failed password for invalid user {user} from {address} port {port} ssh2",
            f"Connection closed by invalid user {user} {address} port {port} [preauth]",
        ]
    if kind < 0.6:  # a legitimate login
        return [
            opening,
            f"Accepted publickey for deploy from {address} port {port} ssh2: ED25519 SHA256:x",
            "pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)",
            f"Received disconnect from {address} port {port}:11: disconnected by user",
            f"Disconnected from user deploy {address} port {port}",
            "pam_unix(sshd:session): session closed for user deploy",
        ]
    if kind < 0.8:  # a scanner
        return [
            "error: kex_exchange_identification: Connection closed by remote host",
            f"Connection closed by {address} port {port}",
        ]
    if kind < 0.9:
        return [
            opening,
            "Disconnecting: Too many authentication failures for root [preauth]",
            f"Connection closed by {address} port {port} [preauth]",
        ]
    return [
        opening,
        f"Unable to negotiate with {address} port {port}: no matching key exchange method "
        "found. Their offer: diffie-hellman-group1-sha1 [preauth]",
    ]


def build_log(sessions: int, *, seed: int = 7) -> list[str]:
    """Lines of ``sessions`` connections, about ``CONCURRENT`` of them open at once."""
    rng = random.Random(seed)
    pending = [(1000 + n, _session(1000 + n, rng)) for n in range(sessions)]
    open_sessions: list[tuple[int, list[str]]] = []
    lines: list[str] = []
    while pending or open_sessions:
        while pending and len(open_sessions) < CONCURRENT:
            open_sessions.append(pending.pop())
        index = rng.randrange(len(open_sessions))
        pid, messages = open_sessions[index]
        second = len(lines) // LINES_PER_SECOND
        stamp = f"Jun  1 {second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        lines.append(f"{stamp} bastion sshd[{pid}]: {messages.pop(0)}")
        if not messages:
            open_sessions[index] = open_sessions[-1]
            open_sessions.pop()
    return lines


def measure(lines: list[str], rounds: int) -> tuple[float, int]:
    """(best CPU µs per line, auth failures found in one round)."""
    context = ParseContext(received_at=RECEIVED_AT)
    best = float("inf")
    failures = 0
    for _ in range(rounds):
        parser = create_parser("sshd")
        parse = parser.parse_line
        found = 0
        started = time.process_time()
        for line in lines:
            record = parse(line, context)
            if record is not None and record.failure is not None:
                found += 1
        elapsed = time.process_time() - started
        best = min(best, elapsed / len(lines) * 1e6)
        failures = found
    return best, failures


async def run(sessions: int = SESSIONS, rounds: int = ROUNDS) -> list[Measurement]:
    load = os.getloadavg()[0]
    lines = build_log(sessions)
    per_line, failures = measure(lines, rounds)
    return [
        Measurement(NAME, "lines", len(lines), "lines"),
        Measurement(NAME, "auth failures found", failures, "events"),
        Measurement(NAME, "CPU per line (best round)", per_line, "µs"),
        Measurement(NAME, "load average (1 min) at start", load, ""),
    ]


if __name__ == "__main__":
    import asyncio

    arguments = [int(value) for value in sys.argv[1:3]]
    print_table(asyncio.run(run(*arguments)))
