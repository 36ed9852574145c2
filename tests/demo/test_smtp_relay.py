from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from garrison.demo.lab import FaultKind, LabCertificate, SmtpRelay, UnsupportedFaultError
from tests.demo.factories import IO_TIMEOUT

CERTIFICATE = LabCertificate.create(datetime.now(UTC))


@pytest.fixture
async def relay() -> AsyncIterator[SmtpRelay]:
    relay = SmtpRelay(name="mail", port=0, tls=CERTIFICATE.server_context())
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop()


class _Client:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def reply(self) -> list[str]:
        """One (possibly multi-line) reply: its lines without the CRLFs."""
        lines = []
        async with asyncio.timeout(IO_TIMEOUT):
            while True:
                line = (await self.reader.readline()).decode("ascii").rstrip("\r\n")
                lines.append(line)
                if len(line) < 4 or line[3] != "-":
                    return lines

    async def command(self, text: str) -> list[str]:
        self.writer.write(f"{text}\r\n".encode("ascii"))
        await self.writer.drain()
        return await self.reply()

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def _connect(port: int) -> _Client:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return _Client(reader, writer)


async def test_greets_and_offers_starttls_and_size(relay: SmtpRelay) -> None:
    client = await _connect(relay.port)

    greeting = await client.reply()
    extensions = await client.command("EHLO probe.garrison.invalid")
    await client.command("QUIT")
    await client.close()

    assert greeting[0].startswith("220 mail.congress.example ")
    assert extensions[0] == "250-mail.congress.example"
    assert "250-STARTTLS" in extensions
    assert "250-SIZE 1048576" in extensions


async def test_starttls_with_a_certificate_the_lab_authority_signed(relay: SmtpRelay) -> None:
    client = await _connect(relay.port)
    await client.reply()
    await client.command("EHLO probe.garrison.invalid")

    ready = await client.command("STARTTLS")
    trusted = ssl.create_default_context(cadata=CERTIFICATE.ca_pem.decode("ascii"))
    await client.writer.start_tls(trusted, server_hostname="mail.congress.example")
    extensions = await client.command("EHLO probe.garrison.invalid")
    await client.command("QUIT")
    await client.close()

    assert ready[0].startswith("220")
    assert "250-STARTTLS" not in extensions
    assert extensions[0] == "250-mail.congress.example"


async def test_accepts_mail_for_the_event_domain_only(relay: SmtpRelay) -> None:
    client = await _connect(relay.port)
    await client.reply()
    await client.command("EHLO probe.garrison.invalid")

    sender = await client.command("MAIL FROM:<probe@garrison.invalid>")
    elsewhere = await client.command("RCPT TO:<someone@example.org>")
    local = await client.command("RCPT TO:<press@congress.example>")
    start = await client.command("DATA")
    done = await client.command("Subject: test\r\n\r\nhello\r\n.")
    await client.command("QUIT")
    await client.close()

    assert sender[0].startswith("250")
    assert elsewhere[0].startswith("550 5.7.1")
    assert local[0].startswith("250")
    assert start[0].startswith("354")
    assert done[0].startswith("250 2.0.0")
    assert relay.messages_received == 1


async def test_error_greets_421_and_closes(relay: SmtpRelay) -> None:
    await relay.set_fault(FaultKind.ERROR)
    client = await _connect(relay.port)

    greeting = await client.reply()
    async with asyncio.timeout(IO_TIMEOUT):
        rest = await client.reader.read()
    await client.close()

    assert greeting[0].startswith("421 4.3.2 mail.congress.example")
    assert rest == b""


async def test_hang_accepts_but_never_greets(relay: SmtpRelay) -> None:
    await relay.set_fault(FaultKind.HANG)
    client = await _connect(relay.port)

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await client.reader.readline()
    await client.close()


async def test_down_drops_sessions_refuses_then_recovers(relay: SmtpRelay) -> None:
    port = relay.port
    client = await _connect(port)
    await client.reply()

    await relay.set_fault(FaultKind.DOWN)

    async with asyncio.timeout(IO_TIMEOUT):
        assert await client.reader.read() == b""
    await client.close()
    assert not relay.status().listening
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    await relay.set_fault(None)
    again = await _connect(port)
    assert (await again.reply())[0].startswith("220")
    await again.close()


async def test_stop_leaves_no_task_behind() -> None:
    relay = SmtpRelay(name="mail", port=0)
    await relay.start()
    client = await _connect(relay.port)
    await client.reply()
    hung = SmtpRelay(name="hung", port=0)
    await hung.set_fault(FaultKind.HANG)
    await hung.start()
    silent = await _connect(hung.port)

    await relay.stop()
    await hung.stop()

    async with asyncio.timeout(IO_TIMEOUT):
        assert await client.reader.read() == b""
        assert await silent.reader.read() == b""
    await client.close()
    await silent.close()
    assert asyncio.all_tasks() == {asyncio.current_task()}
    assert not relay.offers_starttls


async def test_rejects_a_fault_it_cannot_simulate(relay: SmtpRelay) -> None:
    with pytest.raises(UnsupportedFaultError):
        await relay.set_fault(FaultKind.SLOW)
