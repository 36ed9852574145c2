"""TCP checks: connect, optionally TLS, optionally send, optionally expect an answer (regex)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from garrison.config.checks import TcpCheck
from garrison.i18n import gettext as _
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners._net import open_stream, tls_context
from garrison.probes.runners._outcome import ProbeFailure, Trace, guarded

MAX_ANSWER_BYTES = 64 * 1024
SHOWN_CHARS = 200


async def run_tcp_check(check: TcpCheck, *, run: RunContext) -> CheckResult:
    trace = Trace()
    return await guarded(
        _run(check, run, trace), deadline=check.timeout, run=run, trace=trace, check_id=check.id
    )


async def _run(check: TcpCheck, run: RunContext, trace: Trace) -> CheckResult:
    pattern = _pattern(check.expect_regex)
    context = tls_context(verify=True, ca_file=check.ca_file) if check.tls else None
    reader, writer = await open_stream(
        check.host, check.port, trace, tls=context, server_name=check.server_name
    )
    details: dict[str, Any] = {}
    try:
        if check.send is not None:
            trace.step = "send"
            writer.write(check.send.encode("utf-8"))
            await writer.drain()
        if pattern is not None:
            trace.step = "expect"
            answer = await _read_until(reader, pattern, trace)
            details["answer"] = answer[:SHOWN_CHARS]
            trace.end_phase("first_byte")
    finally:
        writer.transport.abort()
    return trace.result(run, ok=True, details=details)


async def _read_until(reader: asyncio.StreamReader, pattern: re.Pattern[str], trace: Trace) -> str:
    received = bytearray()
    while len(received) < MAX_ANSWER_BYTES:
        chunk = await reader.read(MAX_ANSWER_BYTES - len(received))
        if not chunk:
            break
        received += chunk
        text = received.decode("utf-8", errors="replace")
        if pattern.search(text):
            return text
        trace.step = _("waiting for an answer matching {pattern!r}; received {answer!r}").format(
            pattern=pattern.pattern, answer=text[:SHOWN_CHARS]
        )
    text = received.decode("utf-8", errors="replace")
    shown = text[:SHOWN_CHARS]
    trace.details["answer"] = shown
    if not received:
        raise ProbeFailure(_("the connection closed without an answer"))
    raise ProbeFailure(
        _("the answer {answer!r} does not match {pattern!r}").format(
            answer=shown, pattern=pattern.pattern
        )
    )


def _pattern(expression: str | None) -> re.Pattern[str] | None:
    if expression is None:
        return None
    try:
        return re.compile(expression)
    except re.error as error:
        raise ProbeFailure(
            _("expect_regex is not a valid regular expression: {problem}").format(problem=error)
        ) from error
