from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from garrison.demo.lab import FaultKind, HttpSite, UnsupportedFaultError
from tests.demo.factories import IO_TIMEOUT, SLOW_DELAY, raw_exchange


def _url(site: HttpSite, path: str = "/") -> str:
    return f"http://127.0.0.1:{site.port}{path}"


async def test_serves_a_bilingual_page_with_its_assets(
    site: HttpSite, http_client: httpx.AsyncClient
) -> None:
    page = await http_client.get(_url(site))

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>Cổng thử nghiệm — Test Portal</title>" in page.text
    assert "Trang thử nghiệm của phòng lab." in page.text
    assert "The lab&#x27;s test page." in page.text
    assert '<link rel="stylesheet" href="/static/site.css">' in page.text
    assert '<script src="/static/site.js" defer></script>' in page.text
    stylesheet = await http_client.get(_url(site, "/static/site.css"))
    script = await http_client.get(_url(site, "/static/site.js"))
    assert stylesheet.status_code == 200
    assert stylesheet.headers["content-type"].startswith("text/css")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")


async def test_health_endpoint_answers_ok(site: HttpSite, http_client: httpx.AsyncClient) -> None:
    response = await http_client.get(_url(site, "/healthz?probe=1"))

    assert response.status_code == 200
    assert response.text == "ok"


async def test_unknown_path_and_method_are_refused(
    site: HttpSite, http_client: httpx.AsyncClient
) -> None:
    missing = await http_client.get(_url(site, "/missing"))
    posted = await http_client.post(_url(site), content=b"x=1")

    assert missing.status_code == 404
    assert posted.status_code == 405
    assert posted.headers["allow"] == "GET, HEAD"


async def test_head_has_no_body(site: HttpSite, http_client: httpx.AsyncClient) -> None:
    response = await http_client.head(_url(site))

    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) > 0


async def test_keeps_the_connection_alive_between_requests(site: HttpSite) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: lab\r\n\r\n"
    last = b"GET /healthz HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n"

    answer = await raw_exchange(site.port, request + last)

    assert answer.count(b"HTTP/1.1 200 OK") == 2
    assert b"Connection: keep-alive" in answer
    assert answer.endswith(b"Connection: close\r\n\r\nok")


async def test_down_refuses_connections_then_recovers_on_the_same_port(
    site: HttpSite, http_client: httpx.AsyncClient
) -> None:
    port = site.port
    assert (await http_client.get(_url(site))).status_code == 200

    await site.set_fault(FaultKind.DOWN)

    assert not site.status().listening
    with pytest.raises(httpx.ConnectError):
        await http_client.get(_url(site))
    await site.set_fault(None)
    assert site.port == port
    assert (await http_client.get(_url(site))).status_code == 200


async def test_error_answers_503(site: HttpSite, http_client: httpx.AsyncClient) -> None:
    await site.set_fault(FaultKind.ERROR)

    page = await http_client.get(_url(site))
    health = await http_client.get(_url(site, "/healthz"))

    assert page.status_code == 503
    assert page.headers["retry-after"] == "30"
    assert health.status_code == 503


async def test_slow_answers_after_the_delay(site: HttpSite, http_client: httpx.AsyncClient) -> None:
    await site.set_fault(FaultKind.SLOW)

    started = time.monotonic()
    response = await http_client.get(_url(site), timeout=5.0)

    assert response.status_code == 200
    assert time.monotonic() - started >= SLOW_DELAY


async def test_hang_never_answers(site: HttpSite, http_client: httpx.AsyncClient) -> None:
    await site.set_fault(FaultKind.HANG)

    with pytest.raises(httpx.ReadTimeout):
        await http_client.get(_url(site), timeout=httpx.Timeout(IO_TIMEOUT, read=0.3))


async def test_oversize_head_is_rejected_with_431(site: HttpSite) -> None:
    request = b"GET / HTTP/1.1\r\nHost: lab\r\nX-Padding: " + b"a" * 20_000 + b"\r\n\r\n"

    answer = await raw_exchange(site.port, request)

    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"Connection: close" in answer


@pytest.mark.parametrize(
    "request_head",
    [
        b"NONSENSE\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET http://elsewhere/ HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
    ],
)
async def test_malformed_request_is_rejected_with_400(site: HttpSite, request_head: bytes) -> None:
    answer = await raw_exchange(site.port, request_head)

    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")


async def test_oversize_body_is_rejected_with_413(site: HttpSite) -> None:
    answer = await raw_exchange(
        site.port, b"POST / HTTP/1.1\r\nHost: lab\r\nContent-Length: 999999\r\n\r\n"
    )

    assert answer.startswith(b"HTTP/1.1 413 ")


async def test_stop_closes_open_connections(site: HttpSite) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", site.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: lab\r\n\r\n")
    await writer.drain()
    async with asyncio.timeout(5):
        assert (await reader.readuntil(b"ok")).startswith(b"HTTP/1.1 200")

        await site.stop()

        assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()


async def test_rejects_a_fault_it_cannot_simulate(site: HttpSite) -> None:
    with pytest.raises(UnsupportedFaultError):
        await site.set_fault(FaultKind.RESET)

    assert site.fault is None
