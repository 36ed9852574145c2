"""Fixtures for the runners: a test certificate authority and HTTP(S) sites on 127.0.0.1."""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme

from garrison.probes.results import RunContext
from tests.probes.runners.servers import (
    HttpSite,
    Route,
    closes_at_once,
    echo_request,
    garbage_status,
    http_answer,
    huge_body,
    never_closes,
    tcp_server,
    trickles,
)

JSON_DOCUMENT = {
    "status": "ok",
    "count": 2,
    "healthy": True,
    "items": [{"name": "alpha"}, {"name": "beta"}],
}


@pytest.fixture
def run_context() -> RunContext:
    return RunContext(location="local", started_at=datetime.now(UTC))


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA(organization_name="Garrison Test CA")


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_context(leaf: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return context


@pytest.fixture
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    return server_context(ca.issue_cert("localhost", "127.0.0.1"))


@pytest.fixture
def site() -> HttpSite:
    pages = {
        "/ok": http_answer(200, b"hello world", headers={"Content-Type": "text/plain"}),
        "/json": http_answer(
            200, json.dumps(JSON_DOCUMENT).encode(), headers={"Content-Type": "application/json"}
        ),
        # Python's reading of JSON, not the strict one: NaN and a number beyond 64 bits.
        "/loose-json": http_answer(
            200,
            b'{"ratio": NaN, "serial": 123456789012345678901234567890}',
            headers={"Content-Type": "application/json"},
        ),
        "/fail": http_answer(500, b"oops", reason="Internal Server Error"),
        "/headers": http_answer(200, b"ok", headers={"X-Service": "garrison", "X-Zone": "a"}),
        "/redirect": http_answer(302, headers={"Location": "/ok"}, reason="Found"),
        "/loop": http_answer(302, headers={"Location": "/loop"}, reason="Found"),
        "/chunked": (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n"
        ),
        "/until-close": b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nread until the end",
        "/big-headers": b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"z" * 70_000 + b"\r\n\r\n",
        "/early-hints": (
            b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
            + http_answer(200, b"final")
        ),
        "/short-body": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
        "/vietnamese": http_answer(
            200,
            "Trung tâm báo chí".encode("windows-1258"),
            headers={"Content-Type": "text/plain; charset=windows-1258"},
        ),
    }
    routes: dict[str, Route] = {
        "/huge": huge_body,
        "/never-closes": never_closes,
        "/trickle": trickles,
        "/garbage": garbage_status,
        "/closes": closes_at_once,
        "/echo": echo_request,
    }
    return HttpSite(pages=pages, routes=routes)


@pytest.fixture
async def http_port(site: HttpSite) -> AsyncIterator[int]:
    async with tcp_server(site.handle) as port:
        yield port


@pytest.fixture
async def https_port(site: HttpSite, server_tls: ssl.SSLContext) -> AsyncIterator[int]:
    async with tcp_server(site.handle, tls=server_tls) as port:
        yield port
