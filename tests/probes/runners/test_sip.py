"""SIP OPTIONS checks over UDP and TCP against a responder on 127.0.0.1."""

from __future__ import annotations

import re
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from garrison.config.checks import SipCheck
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners import run_check
from tests.probes.runners.sip_server import SipResponder, sip_tcp, sip_udp

SERVERS = {"udp": sip_udp, "tcp": sip_tcp}


async def options(
    responder: SipResponder, transport: str, run_context: RunContext, **fields: Any
) -> CheckResult:
    server: AbstractAsyncContextManager[int] = SERVERS[transport](responder)
    async with server as port:
        check = SipCheck.model_validate(
            {
                "id": "pbx",
                "type": "sip",
                "host": "127.0.0.1",
                "port": port,
                "transport": transport,
                "timeout": 3,
                **fields,
            }
        )
        return await run_check(check, run=run_context)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_a_200_passes_and_the_request_is_well_formed(
    transport: str, run_context: RunContext
) -> None:
    responder = SipResponder()
    result = await options(responder, transport, run_context)
    assert result.ok, result.reason
    assert result.details["status"] == 200
    assert result.details["server"] == "test-responder"
    assert result.details["retransmissions"] == 0
    request = responder.requests[0]
    lines = request.split("\r\n")
    assert re.fullmatch(r"OPTIONS sip:127\.0\.0\.1:\d+(;transport=tcp)? SIP/2\.0", lines[0])
    headers = dict(line.split(": ", 1) for line in lines[1:] if line)
    assert re.fullmatch(
        rf"SIP/2\.0/{transport.upper()} 127\.0\.0\.1:\d+;branch=z9hG4bK[0-9a-f]{{16}};rport",
        headers["Via"],
    )
    assert re.fullmatch(r"<sip:garrison@127\.0\.0\.1>;tag=[0-9a-f]{12}", headers["From"])
    assert headers["To"].startswith("<sip:127.0.0.1:")
    assert headers["CSeq"] == "1 OPTIONS"
    assert headers["Max-Forwards"] == "70"
    assert headers["Content-Length"] == "0"
    assert headers["Call-ID"]
    assert request.endswith("\r\n\r\n")


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_a_404_fails_unless_accepted(transport: str, run_context: RunContext) -> None:
    responder = SipResponder(status=404, reason="Not Found")
    failed = await options(responder, transport, run_context)
    assert not failed.ok
    assert failed.reason == "answered 404 Not Found, accepted 200"
    accepted = await options(responder, transport, run_context, accept_codes=[200, 404])
    assert accepted.ok, accepted.reason


async def test_udp_retransmits_after_t1_when_the_first_request_is_lost(
    run_context: RunContext,
) -> None:
    responder = SipResponder(drop_first=1)
    result = await options(responder, "udp", run_context)
    assert result.ok, result.reason
    assert result.details["retransmissions"] == 1
    assert len(responder.requests) == 2
    assert responder.requests[0] == responder.requests[1]  # the same transaction
    assert result.latency_ms is not None
    assert result.latency_ms >= 500


async def test_udp_retransmissions_double_until_the_deadline(run_context: RunContext) -> None:
    responder = SipResponder(drop_first=100)
    result = await options(responder, "udp", run_context, timeout=2.5)
    assert result.reason == "no answer within 2.5 s while waiting for the answer"
    # Sent at 0, 0.5 and 1.5 s (the next would be at 3.5 s): T1 doubling.
    assert len(responder.requests) == 3


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_a_provisional_answer_is_followed_by_the_final_one(
    transport: str, run_context: RunContext
) -> None:
    result = await options(SipResponder(provisional_first=True), transport, run_context)
    assert result.ok, result.reason
    assert result.details["status"] == 200


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_garbage_fails_clearly(transport: str, run_context: RunContext) -> None:
    result = await options(SipResponder(garbage=True), transport, run_context)
    assert not result.ok
    assert result.reason.startswith("not a SIP answer: ")


async def test_nothing_listening_on_udp_is_refused(run_context: RunContext) -> None:
    async with sip_udp(SipResponder()) as port:
        pass
    check = SipCheck(id="pbx", type="sip", host="127.0.0.1", port=port, timeout=3)
    result = await run_check(check, run=run_context)
    assert result.reason == "the connection was refused"
