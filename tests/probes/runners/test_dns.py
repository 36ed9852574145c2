"""DNS checks against a dnspython-based server on 127.0.0.1."""

from __future__ import annotations

import struct
from typing import Any

import dns.dnssec
import dns.dnssectypes
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from garrison.config.checks import DnsCheck
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners import run_check
from tests.probes.runners.dns_server import Answer, dns_server, records, rrset

NAME = "www.event.test."
RIGHT = rrset(NAME, "A", "192.0.2.10", "192.0.2.11")


def dns_check(port: int, **fields: Any) -> DnsCheck:
    return DnsCheck.model_validate(
        {
            "id": "www-a",
            "type": "dns",
            "resolver": "127.0.0.1",
            "port": port,
            "query": "www.event.test",
            "timeout": 3,
            **fields,
        }
    )


async def ask(answer: Answer, run_context: RunContext, **fields: Any) -> CheckResult:
    async with dns_server(answer) as port:
        return await run_check(dns_check(port, **fields), run=run_context)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_the_expected_set_passes(transport: str, run_context: RunContext) -> None:
    result = await ask(
        lambda query: records(query, [RIGHT]),
        run_context,
        transport=transport,
        expect=["192.0.2.11", "192.0.2.10"],
    )
    assert result.ok, result.reason
    assert result.details["answered"] == ["192.0.2.10", "192.0.2.11"]
    assert result.details["rcode"] == "NOERROR"
    assert "query" in result.phases


async def test_a_hijacked_answer_names_resolver_answer_and_expectation(
    run_context: RunContext,
) -> None:
    hijacked = rrset(NAME, "A", "203.0.113.66")
    result = await ask(lambda query: records(query, [hijacked]), run_context, expect=["192.0.2.10"])
    assert not result.ok
    assert result.reason == (
        "possible hijack: resolver 127.0.0.1 answered 203.0.113.66 for www.event.test A, "
        "expected 192.0.2.10"
    )
    assert result.details["hijack"] is True
    assert result.details["resolver"] == "127.0.0.1"
    assert result.details["answered"] == ["203.0.113.66"]
    assert result.details["expected"] == ["192.0.2.10"]
    assert result.details["unexpected"] == ["203.0.113.66"]


async def test_exact_and_contains(run_context: RunContext) -> None:
    def answer(query: dns.message.Message) -> dns.message.Message:
        return records(query, [RIGHT])

    exact = await ask(answer, run_context, expect=["192.0.2.10"])
    assert not exact.ok
    assert exact.details["hijack"] is True
    assert exact.details["unexpected"] == ["192.0.2.11"]
    contains = await ask(answer, run_context, expect=["192.0.2.10"], match="contains")
    assert contains.ok, contains.reason
    missing = await ask(answer, run_context, expect=["192.0.2.10", "192.0.2.11", "192.0.2.12"])
    assert not missing.ok
    assert "hijack" not in missing.details
    assert missing.details["missing"] == ["192.0.2.12"]


@pytest.mark.parametrize(
    ("rcode", "text"), [(dns.rcode.NXDOMAIN, "NXDOMAIN"), (dns.rcode.SERVFAIL, "SERVFAIL")]
)
async def test_an_error_rcode_fails(rcode: int, text: str, run_context: RunContext) -> None:
    result = await ask(lambda query: records(query, [], rcode=rcode), run_context)
    assert not result.ok
    assert result.reason == (
        f"resolver 127.0.0.1 answered {text} for www.event.test A, expected NOERROR"
    )
    expected = await ask(
        lambda query: records(query, [], rcode=rcode), run_context, expect_rcode=text.lower()
    )
    assert expected.ok, expected.reason


async def test_an_unknown_expected_rcode_is_named(run_context: RunContext) -> None:
    result = await ask(lambda query: records(query, []), run_context, expect_rcode="BROKEN")
    assert result.reason == "expect_rcode: 'BROKEN' is not a DNS response code"


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_a_malformed_packet_fails_clearly(transport: str, run_context: RunContext) -> None:
    def malformed(query: dns.message.Message) -> bytes:
        # The right id and one question announced, then the packet stops.
        return struct.pack("!HHHHHH", query.id, 0x8180, 1, 1, 0, 0) + b"\x03www"

    result = await ask(malformed, run_context, transport=transport)
    assert not result.ok
    assert result.reason.startswith("resolver 127.0.0.1 sent a malformed answer")


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_a_silent_resolver_fails_at_the_deadline(
    transport: str, run_context: RunContext
) -> None:
    result = await ask(lambda query: None, run_context, transport=transport, timeout=0.3)
    assert result.reason == "no answer within 0.3 s while waiting for the DNS answer"


async def test_record_types_compare_in_a_normal_form(run_context: RunContext) -> None:
    def answer(query: dns.message.Message) -> dns.message.Message:
        rdtype = query.question[0].rdtype
        sets = {
            dns.rdatatype.MX: rrset(NAME, "MX", "10 Mail.Event.Test."),
            dns.rdatatype.TXT: rrset(NAME, "TXT", '"v=spf1 " "-all"'),
            dns.rdatatype.CNAME: rrset(NAME, "CNAME", "edge.cdn.test."),
            dns.rdatatype.AAAA: rrset(NAME, "AAAA", "2001:db8:0::1"),
        }
        return records(query, [sets[rdtype]])

    cases = {
        "MX": ["10 mail.event.test"],
        "TXT": ['"v=spf1 -all"'],
        "CNAME": ["EDGE.cdn.test."],
        "AAAA": ["2001:0db8::0001"],
    }
    for record_type, expect in cases.items():
        result = await ask(answer, run_context, record_type=record_type, expect=expect)
        assert result.ok, (record_type, result.reason, result.details)


async def test_latency_limit(run_context: RunContext) -> None:
    result = await ask(lambda query: records(query, [RIGHT]), run_context, max_latency_ms=0.001)
    assert not result.ok
    assert "the limit is 0.001 ms" in result.reason


class SignedZone:
    """event.test signed with an Ed25519 key; answers with or without the AD flag."""

    def __init__(self, *, ad: bool, tamper: bool = False) -> None:
        self.zone = dns.name.from_text("event.test.")
        key = ed25519.Ed25519PrivateKey.generate()
        self.dnskey = dns.dnssec.make_dnskey(key.public_key(), dns.dnssectypes.Algorithm.ED25519)
        self.signature = dns.dnssec.sign(
            RIGHT, key, signer=self.zone, dnskey=self.dnskey, lifetime=3600
        )
        self.ad = ad
        self.tamper = tamper

    def __call__(self, query: dns.message.Message) -> dns.message.Message:
        if query.question[0].rdtype == dns.rdatatype.DNSKEY:
            return records(query, [dns.rrset.from_rdata(self.zone, 3600, self.dnskey)])
        answer = rrset(NAME, "A", "203.0.113.66") if self.tamper else RIGHT
        signatures = dns.rrset.from_rdata(NAME, 300, self.signature)
        return records(query, [answer, signatures], ad=self.ad)


async def test_dnssec_signed_and_validated_passes(run_context: RunContext) -> None:
    result = await ask(SignedZone(ad=True), run_context, dnssec=True, match="contains")
    assert result.ok, result.reason
    assert result.details["dnssec"] == {"ad": True, "signed": True, "signature_valid": True}


async def test_dnssec_without_the_ad_flag_fails(run_context: RunContext) -> None:
    result = await ask(SignedZone(ad=False), run_context, dnssec=True)
    assert not result.ok
    assert result.reason == "the resolver did not vouch for the answer (no DNSSEC AD flag)"


async def test_dnssec_with_a_forged_answer_fails(run_context: RunContext) -> None:
    result = await ask(SignedZone(ad=True, tamper=True), run_context, dnssec=True)
    assert not result.ok
    assert result.reason.startswith("the DNSSEC signature does not verify")
    assert result.details["dnssec"]["signature_valid"] is False


async def test_dnssec_unsigned_answer_fails(run_context: RunContext) -> None:
    result = await ask(lambda query: records(query, [RIGHT], ad=True), run_context, dnssec=True)
    assert result.reason == "the answer carries no DNSSEC signature"
