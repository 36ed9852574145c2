"""The demo event's checks, pointed at a lab running on free ports instead of the demo's own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from garrison.config import EventConfig, load_config
from garrison.config.checks import Check
from garrison.demo.lab import DEFAULT_LAB_PORTS, DemoLab
from garrison.demo.setup import DEMO_EVENT_FILE, DEMO_HEARTBEAT_VARIABLE, DEMO_LAB_CA_VARIABLE
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners import run_check
from garrison.probes.runners.dispatch import runs_actively

HEARTBEAT_TOKEN = "lab-heartbeat-token-0123456789"


def demo_config(ca_file: Path) -> EventConfig:
    environment = {DEMO_LAB_CA_VARIABLE: str(ca_file), DEMO_HEARTBEAT_VARIABLE: HEARTBEAT_TOKEN}
    return load_config(DEMO_EVENT_FILE, environ=environment).config


def retarget(config: EventConfig, lab: DemoLab, *, timeout: float | None = None) -> EventConfig:
    """The configuration with every check's port moved to the lab target's actual port."""
    by_port = {port: name for name, port in DEFAULT_LAB_PORTS.items()}
    checks = tuple(_retarget(check, lab, by_port, timeout) for check in config.checks)
    return config.model_copy(update={"checks": checks})


def _retarget(check: Check, lab: DemoLab, by_port: dict[int, str], timeout: float | None) -> Check:
    update: dict[str, object] = {}
    if timeout is not None and runs_actively(check):
        update["timeout"] = min(timeout, check.interval)
    url = getattr(check, "url", None)
    if isinstance(url, str):
        parts = urlsplit(url)
        assert parts.port is not None
        netloc = f"{parts.hostname}:{lab.port(by_port[parts.port])}"
        update["url"] = urlunsplit(parts._replace(netloc=netloc))
    port = getattr(check, "port", None)
    if isinstance(port, int):
        update["port"] = lab.port(by_port[port])
    return check.model_copy(update=update)


async def run_all(config: EventConfig) -> dict[str, CheckResult]:
    """One run of every active check, all at once."""
    run = RunContext(location="local", started_at=datetime.now(UTC))
    checks = [check for check in config.checks if runs_actively(check)]
    results = await asyncio.gather(*(run_check(check, run=run) for check in checks))
    return {check.id: result for check, result in zip(checks, results, strict=True)}


def failing(results: dict[str, CheckResult]) -> dict[str, str]:
    return {check_id: result.reason for check_id, result in results.items() if not result.ok}
