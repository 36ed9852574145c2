"""SMTP checks against aiosmtpd on 127.0.0.1, with and without STARTTLS."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import SMTP

from garrison.config.checks import SmtpCheck
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners import run_check
from tests.probes.runners.servers import HOST, tcp_server

QUITS: list[str | None] = []


class RecordingSMTP(SMTP):
    async def smtp_QUIT(self, arg: str | None) -> None:
        QUITS.append(arg)
        await super().smtp_QUIT(arg)


@asynccontextmanager
async def mail_server(tls: ssl.SSLContext | None) -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: RecordingSMTP(
            Sink(), hostname="mail.event.test", ident="ESMTP test", tls_context=tls
        ),
        HOST,
        0,
    )
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def smtp(tls: ssl.SSLContext | None, run_context: RunContext, **fields: Any) -> CheckResult:
    async with mail_server(tls) as port:
        check = SmtpCheck.model_validate(
            {
                "id": "mail",
                "type": "smtp",
                "host": "127.0.0.1",
                "port": port,
                "timeout": 3,
                **fields,
            }
        )
        return await run_check(check, run=run_context)


async def test_starttls_is_used_when_offered(
    server_tls: ssl.SSLContext, ca_file: str, run_context: RunContext
) -> None:
    QUITS.clear()
    result = await smtp(
        server_tls,
        run_context,
        ca_file=ca_file,
        expect_banner_regex=r"^mail\.event\.test ",
        expect_capabilities=["8BITMIME", "SIZE"],
    )
    assert result.ok, result.reason
    assert result.details["tls"] is True
    assert result.details["starttls_offered"] is True
    assert result.details["banner"].startswith("mail.event.test ESMTP")
    assert "tls" in result.phases
    assert len(QUITS) == 1  # a polite QUIT


async def test_without_starttls_auto_passes_and_require_fails(run_context: RunContext) -> None:
    auto = await smtp(None, run_context)
    assert auto.ok, auto.reason
    assert "tls" not in auto.details
    required = await smtp(None, run_context, starttls="require")
    assert not required.ok
    assert required.reason == "the server does not offer STARTTLS"


async def test_starttls_off_stays_in_clear(
    server_tls: ssl.SSLContext, run_context: RunContext
) -> None:
    result = await smtp(server_tls, run_context, starttls="off")
    assert result.ok, result.reason
    assert result.details["starttls_offered"] is True
    assert "tls" not in result.details


async def test_starttls_with_an_unknown_ca_fails(
    server_tls: ssl.SSLContext, run_context: RunContext
) -> None:
    result = await smtp(server_tls, run_context)
    assert not result.ok
    assert result.reason.startswith("the certificate is not trusted"), result.reason


async def test_banner_and_capabilities_are_judged(run_context: RunContext) -> None:
    banner = await smtp(None, run_context, expect_banner_regex="^Postfix")
    assert not banner.ok
    assert banner.reason.startswith("the banner 'mail.event.test ESMTP")
    assert banner.reason.endswith("does not match '^Postfix'")
    capabilities = await smtp(None, run_context, expect_capabilities=["AUTH PLAIN", "size"])
    assert capabilities.reason == "the server does not offer AUTH PLAIN"


async def test_a_server_that_is_not_smtp_fails(run_context: RunContext) -> None:
    async def not_smtp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n")
        await writer.drain()
        await reader.read(1)

    async with tcp_server(not_smtp) as port:
        check = SmtpCheck(id="mail", type="smtp", host="127.0.0.1", port=port, timeout=2)
        result = await run_check(check, run=run_context)
    assert not result.ok
    assert result.reason == "not an SMTP answer: Malformed SMTP response line: SSH-2.0-OpenSSH_9.6"
