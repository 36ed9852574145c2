"""DNS checks: ask one named resolver, compare the whole answer set, spot hijacks.

A hijack is an answer that leaves the expected set: the reason names the resolver,
what it answered and what was expected, and the details carry
``{"resolver", "answered", "expected", "unexpected", "missing", "hijack": true}``.
Over UDP a truncated answer is asked again over TCP, as resolvers do.
"""

from __future__ import annotations

import socket
from typing import Any

import dns.asyncquery
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from garrison.config.checks import DnsCheck
from garrison.i18n import gettext as _
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners._dns_answers import answer_texts, normalise_expected
from garrison.probes.runners._dnssec import ask_for_dnssec, judge_dnssec
from garrison.probes.runners._net import resolve
from garrison.probes.runners._outcome import ProbeFailure, Trace, guarded


async def run_dns_check(check: DnsCheck, *, run: RunContext) -> CheckResult:
    trace = Trace()
    return await guarded(
        _run(check, run, trace), deadline=check.timeout, run=run, trace=trace, check_id=check.id
    )


async def _run(check: DnsCheck, run: RunContext, trace: Trace) -> CheckResult:
    expected_rcode = _expected_rcode(check.expect_rcode)
    try:
        question = dns.message.make_query(
            dns.name.from_text(check.query), dns.rdatatype.from_text(check.record_type)
        )
    except dns.exception.DNSException as error:
        raise ProbeFailure(
            _("query: {name!r} is not a valid DNS name ({problem})").format(
                name=check.query, problem=error
            )
        ) from error
    kind = socket.SOCK_DGRAM if check.transport == "udp" else socket.SOCK_STREAM
    (_family, resolver), *_others = await resolve(check.resolver, check.port, trace, kind=kind)
    if check.dnssec:
        ask_for_dnssec(question)

    async def ask(message: dns.message.Message) -> dns.message.Message:
        return await _ask(message, resolver, check)

    trace.step = "query"
    trace.restart_phase()
    response = await ask(question)
    query_ms = trace.end_phase("query")
    answered = answer_texts(response, check.record_type)
    rcode = dns.rcode.to_text(response.rcode())
    details: dict[str, Any] = {"resolver": resolver, "rcode": rcode, "answered": answered}
    failures: list[str] = []
    if response.rcode() != expected_rcode:
        failures.append(
            _("resolver {resolver} answered {rcode} for {name} {type}, expected {expected}").format(
                resolver=resolver,
                rcode=rcode,
                name=check.query,
                type=check.record_type,
                expected=dns.rcode.to_text(expected_rcode),
            )
        )
    elif check.expect:
        failures.extend(_judge_answers(check, resolver, answered, details))
    if check.dnssec and not failures:
        dnssec_failures, details["dnssec"] = await judge_dnssec(
            response, check.record_type, query=ask, now=run.started_at
        )
        failures.extend(dnssec_failures)
    if check.max_latency_ms is not None and query_ms > check.max_latency_ms:
        failures.append(
            _("the answer took {latency:.0f} ms, the limit is {limit:g} ms").format(
                latency=query_ms, limit=check.max_latency_ms
            )
        )
    if failures:
        return trace.result(run, ok=False, reason="; ".join(failures), details=details)
    return trace.result(run, ok=True, details=details)


def _judge_answers(
    check: DnsCheck, resolver: str, answered: list[str], details: dict[str, Any]
) -> list[str]:
    expected = sorted({normalise_expected(value, check.record_type) for value in check.expect})
    unexpected = sorted(set(answered) - set(expected))
    missing = sorted(set(expected) - set(answered))
    passed = not missing and (check.match == "contains" or not unexpected)
    details.update(expected=expected, unexpected=unexpected, missing=missing)
    if passed:
        return []
    words = {
        "resolver": resolver,
        "answered": ", ".join(answered) or _("nothing"),
        "name": check.query,
        "type": check.record_type,
        "expected": ", ".join(expected),
    }
    if unexpected:
        details["hijack"] = True
        return [
            _(
                "possible hijack: resolver {resolver} answered {answered} for {name} {type}, "
                "expected {expected}"
            ).format(**words)
        ]
    return [
        _("resolver {resolver} answered {answered} for {name} {type}, expected {expected}").format(
            **words
        )
    ]


async def _ask(message: dns.message.Message, resolver: str, check: DnsCheck) -> dns.message.Message:
    try:
        if check.transport == "tcp":
            return await dns.asyncquery.tcp(message, resolver, port=check.port)
        response, _used_tcp = await dns.asyncquery.udp_with_fallback(
            message, resolver, port=check.port
        )
        return response
    except dns.exception.Timeout as error:
        raise TimeoutError from error
    except dns.exception.DNSException as error:
        raise ProbeFailure(
            _("resolver {resolver} sent a malformed answer: {problem}").format(
                resolver=resolver, problem=error
            )
        ) from error
    except EOFError as error:
        raise ProbeFailure(
            _("resolver {resolver} closed the connection without an answer").format(
                resolver=resolver
            )
        ) from error


def _expected_rcode(text: str) -> dns.rcode.Rcode:
    try:
        return dns.rcode.from_text(text.strip().upper())
    except dns.rcode.UnknownRcode as error:
        raise ProbeFailure(
            _("expect_rcode: {rcode!r} is not a DNS response code").format(rcode=text)
        ) from error
