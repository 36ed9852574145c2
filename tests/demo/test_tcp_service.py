from __future__ import annotations

import asyncio
import contextlib

import pytest

from garrison.demo.lab import FaultKind, TcpService, UnsupportedFaultError
from tests.demo.factories import IO_TIMEOUT, read_banner


async def test_greets_with_a_banner_line(service: TcpService) -> None:
    assert await read_banner(service.port) == b"GARRISON-LAB link-primary READY\r\n"


async def test_echoes_lines_back(service: TcpService) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    async with asyncio.timeout(IO_TIMEOUT):
        await reader.readline()
        writer.write(b"ping 1\r\nping 2\n")
        await writer.drain()

        assert await reader.readline() == b"ping 1\r\n"
        assert await reader.readline() == b"ping 2\n"
        writer.write_eof()
        assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()


async def test_overlong_line_ends_the_session(service: TcpService) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    async with asyncio.timeout(IO_TIMEOUT):
        await reader.readline()
        writer.write(b"x" * 10_000 + b"\n")
        await writer.drain()

        assert await reader.readline() == b"ERR line too long\r\n"
    writer.close()
    await writer.wait_closed()


async def test_custom_banner() -> None:
    switch = TcpService(name="switch", port=0, banner="SSH-2.0-LabSwitch")
    await switch.start()
    try:
        assert await read_banner(switch.port) == b"SSH-2.0-LabSwitch\r\n"
    finally:
        await switch.stop()


async def test_down_refuses_then_recovers_on_the_same_port(service: TcpService) -> None:
    port = service.port

    await service.set_fault(FaultKind.DOWN)

    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    await service.set_fault(None)
    assert service.port == port
    assert (await read_banner(port)).startswith(b"GARRISON-LAB")


async def test_down_drops_open_sessions(service: TcpService) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    async with asyncio.timeout(IO_TIMEOUT):
        await reader.readline()

        await service.set_fault(FaultKind.DOWN)

        assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()


async def test_reset_accepts_then_resets(service: TcpService) -> None:
    await service.set_fault(FaultKind.RESET)

    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    with pytest.raises(ConnectionResetError):
        async with asyncio.timeout(IO_TIMEOUT):
            await reader.read(100)
    writer.close()
    with contextlib.suppress(ConnectionResetError):
        await writer.wait_closed()


async def test_hang_accepts_without_a_banner(service: TcpService) -> None:
    await service.set_fault(FaultKind.HANG)

    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await reader.readline()
    writer.close()
    await writer.wait_closed()


async def test_hang_then_healthy_again(service: TcpService) -> None:
    await service.set_fault(FaultKind.HANG)
    await service.set_fault(None)

    assert await read_banner(service.port) == b"GARRISON-LAB link-primary READY\r\n"


async def test_rejects_a_fault_it_cannot_simulate(service: TcpService) -> None:
    with pytest.raises(UnsupportedFaultError):
        await service.set_fault(FaultKind.ERROR)


def test_banner_is_one_line() -> None:
    with pytest.raises(ValueError, match="one line"):
        TcpService(name="bad", port=0, banner="two\r\nlines")
