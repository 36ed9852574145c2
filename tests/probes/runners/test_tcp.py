"""TCP checks: connect, send, expect a banner, over plain TCP and TLS."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from garrison.config.checks import TcpCheck
from garrison.probes.results import RunContext
from garrison.probes.runners import run_check
from tests.probes.runners.servers import closed_port, silent, tcp_server


def tcp_check(port: int, **fields: Any) -> TcpCheck:
    return TcpCheck.model_validate(
        {"id": "svc", "type": "tcp", "host": "127.0.0.1", "port": port, "timeout": 3, **fields}
    )


async def banner(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 relay.event.test ready\r\n")
    await writer.drain()
    await reader.read(1)


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    line = await reader.readline()
    writer.write(b"you said: " + line)
    await writer.drain()


async def test_connect_only_passes(run_context: RunContext) -> None:
    async with tcp_server(silent) as port:
        result = await run_check(tcp_check(port), run=run_context)
    assert result.ok, result.reason
    assert "connect" in result.phases


async def test_a_closed_port_fails(run_context: RunContext) -> None:
    result = await run_check(tcp_check(closed_port()), run=run_context)
    assert result.reason == "the connection was refused"


async def test_a_banner_matching_the_regex_passes(run_context: RunContext) -> None:
    async with tcp_server(banner) as port:
        passing = await run_check(tcp_check(port, expect_regex=r"^220 \S+ ready"), run=run_context)
        failing = await run_check(
            tcp_check(port, expect_regex=r"^554", timeout=0.3), run=run_context
        )
    assert passing.ok, passing.reason
    assert passing.details["answer"] == "220 relay.event.test ready\r\n"
    assert not failing.ok
    assert failing.reason == (
        "no answer within 0.3 s while waiting for an answer matching '^554'; "
        "received '220 relay.event.test ready\\r\\n'"
    )


async def test_send_then_expect(run_context: RunContext) -> None:
    async with tcp_server(echo) as port:
        result = await run_check(
            tcp_check(port, send="ping\n", expect_regex="you said: ping"), run=run_context
        )
    assert result.ok, result.reason


async def test_a_silent_service_fails_at_the_deadline(run_context: RunContext) -> None:
    async with tcp_server(silent) as port:
        result = await run_check(tcp_check(port, expect_regex="x", timeout=0.2), run=run_context)
    assert result.reason == "no answer within 0.2 s while waiting for the expected answer"


async def test_an_invalid_regex_is_named(run_context: RunContext) -> None:
    result = await run_check(tcp_check(1, expect_regex="(unclosed"), run=run_context)
    assert result.reason.startswith("expect_regex is not a valid regular expression")


async def test_tls_with_the_ca_file(
    server_tls: ssl.SSLContext, ca_file: str, run_context: RunContext
) -> None:
    async with tcp_server(banner, tls=server_tls) as port:
        trusted = await run_check(
            tcp_check(port, tls=True, ca_file=ca_file, expect_regex="ready"), run=run_context
        )
        untrusted = await run_check(tcp_check(port, tls=True), run=run_context)
    assert trusted.ok, trusted.reason
    assert "tls" in trusted.phases
    assert untrusted.reason.startswith("the certificate is not trusted")
