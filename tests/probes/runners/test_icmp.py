"""ICMP echo to the loopback address, over a raw socket and an ICMP datagram socket."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from garrison.config.checks import IcmpCheck
from garrison.probes.results import RunContext
from garrison.probes.runners import run_check
from garrison.probes.runners.icmp import ping

REPO = Path(__file__).resolve().parents[3]


def _can_open(kind: socket.SocketKind, family: socket.AddressFamily = socket.AF_INET) -> bool:
    protocol = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
    try:
        socket.socket(family, kind, protocol).close()
    except OSError:
        return False
    return True


needs_raw = pytest.mark.skipif(
    not _can_open(socket.SOCK_RAW), reason="raw ICMP sockets need root or CAP_NET_RAW"
)


@needs_raw
async def test_echo_to_loopback_passes(run_context: RunContext) -> None:
    check = IcmpCheck(id="gw", type="icmp", host="127.0.0.1", count=3, timeout=3)
    result = await run_check(check, run=run_context)
    assert result.ok, result.reason
    assert result.details["sent"] == 3
    assert result.details["received"] == 3
    assert result.details["loss_percent"] == 0
    assert 0 < result.details["rtt_avg_ms"] < 1_000


@needs_raw
async def test_raw_socket_over_ipv4_and_ipv6() -> None:
    four = await ping(socket.AF_INET, "127.0.0.1", count=2, wait=1, mode="raw")
    assert four.mode == "raw"
    assert four.received == 2
    if _can_open(socket.SOCK_RAW, socket.AF_INET6) and socket.has_ipv6:
        six = await ping(socket.AF_INET6, "::1", count=2, wait=1, mode="raw")
        assert six.received == 2


@needs_raw
async def test_a_round_trip_over_the_limit_fails(run_context: RunContext) -> None:
    check = IcmpCheck(id="gw", type="icmp", host="127.0.0.1", count=2, max_rtt_ms=0.0001)
    result = await run_check(check, run=run_context)
    assert not result.ok
    assert result.reason.startswith("the average round trip is ")
    assert result.reason.endswith("the limit is 0.0001 ms")


_DATAGRAM_SCRIPT = """
import asyncio, json, socket
from garrison.probes.runners.icmp import ping
outcome = asyncio.run(ping(socket.AF_INET, "127.0.0.1", count=3, wait=1, mode="datagram"))
print(json.dumps({"mode": outcome.mode, "received": outcome.received}))
"""

_LOSS_SCRIPT = """
import asyncio, json
from datetime import UTC, datetime
from garrison.config.checks import IcmpCheck
from garrison.probes.results import RunContext
from garrison.probes.runners import run_check
check = IcmpCheck(id="gw", type="icmp", host="127.0.0.1", count=3, timeout=0.6)
result = asyncio.run(run_check(check, run=RunContext("local", datetime.now(UTC))))
print(json.dumps({"ok": result.ok, "reason": result.reason, "details": result.details}))
"""


def in_own_network_namespace(script: str, *sysctls: str) -> dict[str, Any]:
    """Run ``script`` in a network namespace of its own (loopback up, ``sysctls`` applied)."""
    if not (shutil.which("unshare") and shutil.which("ip")):
        pytest.skip("unshare and ip are needed to make a network namespace")
    setup = " && ".join(["ip link set lo up", *(f"sysctl -qw {item}" for item in sysctls)])
    command = ["unshare", "--net", "sh", "-c", f'{setup} && exec "$0" -c "$1"']
    command += [sys.executable, script]
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=30, cwd=REPO, check=False
    )
    if finished.returncode != 0 and "unshare" in finished.stderr:
        pytest.skip(f"the kernel refuses a network namespace here: {finished.stderr.strip()}")
    assert finished.returncode == 0, finished.stderr
    outcome: dict[str, Any] = json.loads(finished.stdout)
    return outcome


def test_datagram_socket_where_the_kernel_allows_it() -> None:
    """ping_group_range admits root only inside the namespace made for this test."""
    outcome = in_own_network_namespace(_DATAGRAM_SCRIPT, "net.ipv4.ping_group_range='0 0'")
    assert outcome == {"mode": "datagram", "received": 3}


def test_unanswered_echoes_are_loss() -> None:
    """The namespace's kernel ignores echo requests: every reply is lost."""
    outcome = in_own_network_namespace(_LOSS_SCRIPT, "net.ipv4.icmp_echo_ignore_all=1")
    assert outcome["ok"] is False
    assert outcome["reason"] == "3 of 3 echo requests got no reply (100 %, limit 34 %)"
    assert outcome["details"]["received"] == 0
