"""How one run's timing, evidence and failure become a :class:`CheckResult`.

Every runner measures itself with a :class:`Trace` and raises :class:`ProbeFailure`
for a target that fails; :func:`guarded` enforces the check's timeout as a hard
deadline and turns every failure (ours, the network's, or a bug) into a result,
so that a failing target never crashes the worker that runs it.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Coroutine
from time import perf_counter
from typing import Any

from garrison.i18n import gettext as _
from garrison.probes.results import CheckResult, RunContext

logger = logging.getLogger(__name__)

# What a run is doing, in plain words, for the reason of a run that timed out.
_STEPS: dict[str, Callable[[], str]] = {
    "start": lambda: _("starting"),
    "resolve": lambda: _("resolving the name"),
    "connect": lambda: _("connecting"),
    "tls": lambda: _("doing the TLS handshake"),
    "send": lambda: _("sending the request"),
    "first_byte": lambda: _("waiting for the answer"),
    "body": lambda: _("reading the answer"),
    "query": lambda: _("waiting for the DNS answer"),
    "banner": lambda: _("waiting for the banner"),
    "expect": lambda: _("waiting for the expected answer"),
    "echo": lambda: _("waiting for echo replies"),
    "smtp": lambda: _("talking SMTP"),
}


class ProbeFailure(Exception):
    """The target failed; ``reason`` is already in plain, translated words."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class Trace:
    """Phase timings (milliseconds, each phase's own duration) and evidence of one run."""

    __slots__ = ("_mark", "_started", "details", "phases", "step")

    def __init__(self) -> None:
        self._started = self._mark = perf_counter()
        self.phases: dict[str, float] = {}
        self.details: dict[str, Any] = {}
        self.step = "start"

    def restart_phase(self) -> None:
        self._mark = perf_counter()

    def end_phase(self, phase: str) -> float:
        """Record the time since the previous phase ended as ``phase``; returns it in ms."""
        now = perf_counter()
        elapsed = (now - self._mark) * 1000.0
        self.phases[phase] = self.phases.get(phase, 0.0) + elapsed
        self._mark = now
        return elapsed

    def elapsed_ms(self) -> float:
        return (perf_counter() - self._started) * 1000.0

    def result(
        self,
        run: RunContext,
        *,
        ok: bool,
        reason: str = "",
        details: dict[str, Any] | None = None,
        severity: str | None = None,
    ) -> CheckResult:
        total = self.elapsed_ms()
        phases = dict(self.phases)
        phases["total"] = total
        merged = self.details if details is None else {**self.details, **details}
        return CheckResult(
            ok=ok,
            reason=reason,
            started_at=run.started_at,
            location=run.location,
            latency_ms=total,
            phases=phases,
            details=merged,
            severity=severity,
        )


def describe_step(step: str) -> str:
    describe = _STEPS.get(step)
    return describe() if describe is not None else step


def describe_os_error(error: OSError) -> str:
    """Plain words for what the network said."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return _("the certificate is not trusted: {problem}").format(
            problem=error.verify_message or error.reason or str(error)
        )
    if isinstance(error, ssl.SSLError):
        if isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            return _("the connection was closed during the TLS handshake")
        return _("the TLS handshake failed: {problem}").format(problem=error.reason or str(error))
    if isinstance(error, ConnectionRefusedError):
        return _("the connection was refused")
    if isinstance(error, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return _("the connection was reset")
    if isinstance(error, TimeoutError):
        return _("the connection timed out")
    return _("network error: {problem}").format(problem=error.strerror or str(error))


async def guarded(
    work: Coroutine[Any, Any, CheckResult],
    *,
    deadline: float,
    run: RunContext,
    trace: Trace,
    check_id: str,
) -> CheckResult:
    """Await ``work`` within ``deadline`` seconds; every failure becomes a failed result."""
    scope = asyncio.timeout(deadline)
    try:
        async with scope:
            return await work
    except TimeoutError as error:
        if scope.expired():
            reason = _("no answer within {seconds:g} s while {step}").format(
                seconds=deadline, step=describe_step(trace.step)
            )
        else:
            reason = describe_os_error(error)
        return trace.result(run, ok=False, reason=reason, details={"timed_out": scope.expired()})
    except ProbeFailure as failure:
        return trace.result(run, ok=False, reason=failure.reason, details=failure.details)
    except OSError as error:
        return trace.result(run, ok=False, reason=describe_os_error(error))
    except EOFError:
        return trace.result(run, ok=False, reason=_("the connection was closed early"))
    except Exception as error:
        # A bug of ours, not the target's: logged loudly, and still only a failed result.
        logger.exception("probe %s failed unexpectedly", check_id)
        reason = _("the probe itself failed ({error})").format(error=type(error).__name__)
        return trace.result(run, ok=False, reason=reason, details={"internal_error": True})
