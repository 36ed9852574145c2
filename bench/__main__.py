"""Runs every benchmark (or those named on the command line)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bench import (
    alert_flood,
    api_requests,
    audit_chain,
    blackbox_compare,
    detection_rules,
    escalation_timers,
    notify_latency,
    probe_throughput,
    sshd_parser_cpu,
    syslog_path_cpu,
    syslog_to_alert,
    time_to_detect,
)
from bench.results import Measurement, print_table, write_json

BENCHES: dict[str, Callable[[], Coroutine[Any, Any, list[Measurement]]]] = {
    "audit_chain": audit_chain.run,
    "api_requests": api_requests.run,
    "probe_throughput": probe_throughput.run,
    "blackbox_compare": blackbox_compare.run,
    "time_to_detect": time_to_detect.run,
    "detection_rules": detection_rules.run,
    "notify_latency": notify_latency.run,
    "alert_flood": alert_flood.run,
    "escalation_timers": escalation_timers.run,
    "syslog_to_alert": syslog_to_alert.run,
    "syslog_path_cpu": syslog_path_cpu.run,
    "sshd_parser_cpu": sshd_parser_cpu.run,
}
RESULTS = Path(__file__).parent / "results" / "latest.json"


def main(names: list[str]) -> int:
    chosen = names or list(BENCHES)
    unknown = [name for name in chosen if name not in BENCHES]
    if unknown:
        print(
            f"unknown benchmarks: {', '.join(unknown)}; known: {', '.join(BENCHES)}",
            file=sys.stderr,
        )
        return 2
    measurements: list[Measurement] = []
    for name in chosen:
        measurements.extend(asyncio.run(BENCHES[name]()))
    print_table(measurements)
    write_json(measurements, RESULTS)
    print(f"\nwritten to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
