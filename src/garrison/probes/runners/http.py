"""HTTP(S) checks: one request, its answer judged against the check's assertions."""

from __future__ import annotations

from typing import Any

from garrison.config.checks import HttpCheck
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners._http_assertions import judge_response
from garrison.probes.runners._http_client import HttpOptions, HttpResponse, fetch
from garrison.probes.runners._outcome import Trace, guarded

_EVIDENCE_HEADERS = ("content-type", "content-length", "location", "server")


async def run_http_check(check: HttpCheck, *, run: RunContext) -> CheckResult:
    trace = Trace()
    return await guarded(
        _run(check, run, trace), deadline=check.timeout, run=run, trace=trace, check_id=check.id
    )


async def _run(check: HttpCheck, run: RunContext, trace: Trace) -> CheckResult:
    options = HttpOptions(
        method=check.method,
        headers=check.headers,
        body=check.body,
        verify_tls=check.verify_tls,
        ca_file=check.ca_file,
        max_body_bytes=check.max_body_bytes,
        follow_redirects=check.follow_redirects,
    )
    response = await fetch(check.url, options, trace)
    failures = judge_response(check, response, latency_ms=trace.elapsed_ms())
    details = response_evidence(response)
    if failures:
        return trace.result(run, ok=False, reason="; ".join(failures), details=details)
    return trace.result(run, ok=True, details=details)


def response_evidence(response: HttpResponse) -> dict[str, Any]:
    details: dict[str, Any] = {
        "status": response.status,
        "url": response.url,
        "body_bytes": len(response.body),
    }
    if response.truncated:
        details["truncated"] = True
    if response.redirects:
        details["redirects"] = list(response.redirects)
    details["headers"] = {
        name: value for name in _EVIDENCE_HEADERS if (value := response.header(name)) is not None
    }
    return details
