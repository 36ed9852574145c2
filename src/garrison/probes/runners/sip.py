"""SIP checks: an OPTIONS request over UDP or TCP, its final answer's code judged.

Over UDP the request is retransmitted as RFC 3261 prescribes for a non-INVITE
transaction (timer E: T1 = 500 ms, doubling up to T2 = 4 s; after a provisional
answer, every T2) until a final answer or the check's timeout.
"""

from __future__ import annotations

import asyncio
from time import perf_counter
from typing import Any

from garrison.config.checks import SipCheck
from garrison.i18n import gettext as _
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners._net import ip_literal, open_stream, resolve
from garrison.probes.runners._outcome import ProbeFailure, Trace, guarded
from garrison.probes.runners._sip_message import (
    MAX_MESSAGE_BYTES,
    SipAnswer,
    SipRequest,
    belongs_to,
    options_request,
    parse_answer,
)

T1 = 0.5
T2 = 4.0
_MAX_QUEUED = 64


async def run_sip_check(check: SipCheck, *, run: RunContext) -> CheckResult:
    trace = Trace()
    return await guarded(
        _run(check, run, trace), deadline=check.timeout, run=run, trace=trace, check_id=check.id
    )


async def _run(check: SipCheck, run: RunContext, trace: Trace) -> CheckResult:
    uri = check.uri or _default_uri(check)
    if check.transport == "udp":
        answer, retransmissions = await _over_udp(check, uri, trace)
    else:
        answer, retransmissions = await _over_tcp(check, uri, trace), 0
    details: dict[str, Any] = {
        "status": answer.status,
        "reason_phrase": answer.reason,
        "transport": check.transport,
        "retransmissions": retransmissions,
    }
    for header in ("server", "user-agent", "allow"):
        if header in answer.headers:
            details[header.replace("-", "_")] = answer.headers[header][:200]
    if answer.status not in check.accept_codes:
        reason = _("answered {status} {phrase}, accepted {accepted}").format(
            status=answer.status,
            phrase=answer.reason,
            accepted=", ".join(str(code) for code in check.accept_codes),
        )
        return trace.result(run, ok=False, reason=reason, details=details)
    return trace.result(run, ok=True, details=details)


def _default_uri(check: SipCheck) -> str:
    literal = ip_literal(check.host)
    host = f"[{literal}]" if literal and ":" in literal else check.host
    suffix = ";transport=tcp" if check.transport == "tcp" else ""
    return f"sip:{host}:{check.port}{suffix}"


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.arrived: asyncio.Queue[bytes | OSError] = asyncio.Queue(_MAX_QUEUED)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if not self.arrived.full():
            self.arrived.put_nowait(data)

    def error_received(self, exc: Exception) -> None:
        if isinstance(exc, OSError) and not self.arrived.full():
            self.arrived.put_nowait(exc)


async def _over_udp(check: SipCheck, uri: str, trace: Trace) -> tuple[SipAnswer, int]:
    (_family, address), *_others = await resolve(check.host, check.port, trace)
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        _Datagrams, remote_addr=(address, check.port)
    )
    try:
        local_host, local_port = transport.get_extra_info("sockname")[:2]
        request = options_request(
            uri=uri, transport="udp", local_host=local_host, local_port=local_port
        )
        trace.step = "first_byte"
        trace.restart_phase()
        return await _udp_transaction(transport, protocol, request, trace)
    finally:
        transport.abort()


async def _udp_transaction(
    transport: asyncio.DatagramTransport, protocol: _Datagrams, request: SipRequest, trace: Trace
) -> tuple[SipAnswer, int]:
    interval = T1
    retransmissions = 0
    transport.sendto(request.text)
    resend_at = perf_counter() + interval
    while True:
        try:
            async with asyncio.timeout(max(0.0, resend_at - perf_counter())):
                arrived = await protocol.arrived.get()
        except TimeoutError:
            transport.sendto(request.text)
            retransmissions += 1
            interval = min(interval * 2, T2)
            resend_at = perf_counter() + interval
            continue
        if isinstance(arrived, OSError):
            raise arrived
        answer = parse_answer(arrived[:MAX_MESSAGE_BYTES])
        if not belongs_to(answer, request):
            continue  # a stray answer to someone else's (or an earlier) request
        if answer.status < 200:
            interval = T2
            resend_at = perf_counter() + interval
            continue
        trace.end_phase("first_byte")
        return answer, retransmissions


async def _over_tcp(check: SipCheck, uri: str, trace: Trace) -> SipAnswer:
    reader, writer = await open_stream(check.host, check.port, trace, limit=MAX_MESSAGE_BYTES)
    try:
        local_host, local_port = writer.get_extra_info("sockname")[:2]
        request = options_request(
            uri=uri, transport="tcp", local_host=local_host, local_port=local_port
        )
        trace.step = "first_byte"
        writer.write(request.text)
        while True:
            answer = parse_answer(await _read_message_head(reader))
            length = answer.headers.get("content-length", "0")
            if length.isdigit() and 0 < int(length) <= MAX_MESSAGE_BYTES:
                await reader.readexactly(int(length))
            if answer.status >= 200 and belongs_to(answer, request):
                trace.end_phase("first_byte")
                return answer
    finally:
        writer.transport.abort()


async def _read_message_head(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError as error:
        raise ProbeFailure(_("the SIP answer is too large")) from error
    except asyncio.IncompleteReadError as error:
        if error.partial:
            parse_answer(error.partial)  # garbage is named as such
        raise ProbeFailure(_("the connection closed without a SIP answer")) from error
