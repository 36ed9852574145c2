"""``run_check``: the one entry point, dispatching on the check's type.

Heartbeat checks are pushed by an outside job, not run: the engine judges them
from the time of the last push. ``run_check`` on one returns a failed result
saying so, rather than raising.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from garrison.config.checks import Check, HeartbeatCheck
from garrison.i18n import gettext as _
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners.content import run_content_check
from garrison.probes.runners.dns import run_dns_check
from garrison.probes.runners.http import run_http_check
from garrison.probes.runners.icmp import run_icmp_check
from garrison.probes.runners.sip import run_sip_check
from garrison.probes.runners.smtp import run_smtp_check
from garrison.probes.runners.tcp import run_tcp_check
from garrison.probes.runners.tls import run_tls_check

_RUNNERS: dict[str, Callable[..., Awaitable[CheckResult]]] = {
    "http": run_http_check,
    "tls": run_tls_check,
    "dns": run_dns_check,
    "tcp": run_tcp_check,
    "icmp": run_icmp_check,
    "sip": run_sip_check,
    "smtp": run_smtp_check,
    "content": run_content_check,
}


async def run_check(check: Check, *, run: RunContext) -> CheckResult:
    """Run ``check`` once; never raises for a failing target (only cancellation propagates)."""
    runner = _RUNNERS.get(check.type)
    if runner is None or isinstance(check, HeartbeatCheck):
        return _not_runnable(check, run)
    result: CheckResult = await runner(check, run=run)
    return result


def runs_actively(check: Check) -> bool:
    """False for push checks (heartbeat), which the engine judges without running them."""
    return check.type in _RUNNERS


def _not_runnable(check: Check, run: RunContext) -> CheckResult:
    details: dict[str, Any] = {"type": check.type, "push": isinstance(check, HeartbeatCheck)}
    return CheckResult(
        ok=False,
        reason=_("{type} checks are not run by a probe: the engine judges their pushes").format(
            type=check.type
        ),
        started_at=run.started_at,
        location=run.location,
        details=details,
    )
