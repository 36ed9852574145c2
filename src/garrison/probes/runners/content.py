"""Content integrity (defacement) checks: a page compared with its approved baseline.

Without a baseline the run passes (unless forbidden text is on the page) and its
details say a baseline is needed and carry the page's snapshot, for an operator to
approve. A failing comparison also carries the snapshot, in case the change is
legitimate and the operator approves it as the new baseline.
"""

from __future__ import annotations

from garrison.config.checks import ContentCheck
from garrison.i18n import gettext as _
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners._content_diff import phrases_found
from garrison.probes.runners._http_client import HttpOptions, fetch
from garrison.probes.runners._outcome import Trace, guarded
from garrison.probes.runners.content_baseline import (
    compare_with_baseline,
    extract_page,
    forbidden_phrase_problems,
)


async def run_content_check(check: ContentCheck, *, run: RunContext) -> CheckResult:
    trace = Trace()
    return await guarded(
        _run(check, run, trace), deadline=check.timeout, run=run, trace=trace, check_id=check.id
    )


async def _run(check: ContentCheck, run: RunContext, trace: Trace) -> CheckResult:
    options = HttpOptions(
        verify_tls=check.verify_tls,
        ca_file=check.ca_file,
        max_body_bytes=check.max_body_bytes,
        follow_redirects=True,
    )
    response = await fetch(check.url, options, trace)
    trace.details.update(status=response.status, url=response.url)
    if not 200 <= response.status < 300:
        reason = _("the page answered status {status}").format(status=response.status)
        return trace.result(run, ok=False, reason=reason)
    page = extract_page(response.text(), response.url)
    if response.truncated:
        trace.details["body_truncated"] = True
    if run.baseline is None:
        problems = forbidden_phrase_problems(phrases_found(page.text, check.forbidden_phrases))
        details = {"baseline_needed": True, "snapshot": page.to_json()}
        return trace.result(run, ok=not problems, reason="; ".join(problems), details=details)
    comparison = compare_with_baseline(
        page,
        run.baseline,
        change_threshold=check.change_threshold,
        forbidden_phrases=check.forbidden_phrases,
        allowed_origins=check.allowed_origins,
    )
    details = comparison.evidence()
    if not comparison.ok:
        details["snapshot"] = page.to_json()
        return trace.result(run, ok=False, reason="; ".join(comparison.problems), details=details)
    return trace.result(run, ok=True, details=details)
