"""TLS checks: chain, hostname, expiry, issuer and pins, against servers made with a test CA."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import trustme
from cryptography import x509

from garrison.config.checks import HttpCheck, TlsCheck
from garrison.probes.results import RunContext
from garrison.probes.runners import run_check
from garrison.probes.runners._certificates import spki_pin
from tests.probes.runners.conftest import server_context
from tests.probes.runners.servers import closes_mid_handshake, half_server_hello, tcp_server


async def _handshake_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(1)


@asynccontextmanager
async def tls_server(leaf: trustme.LeafCert) -> AsyncIterator[int]:
    async with tcp_server(_handshake_only, tls=server_context(leaf)) as port:
        yield port


def tls_check(port: int, **fields: Any) -> TlsCheck:
    return TlsCheck.model_validate(
        {"id": "cert", "type": "tls", "host": "127.0.0.1", "port": port, **fields}
    )


def leaf_valid_for(ca: trustme.CA, days: float) -> trustme.LeafCert:
    now = datetime.now(UTC)
    return ca.issue_cert(
        "localhost",
        "127.0.0.1",
        not_before=now - timedelta(days=30),
        not_after=now + timedelta(days=days),
    )


def pin_of(leaf: trustme.LeafCert) -> str:
    return spki_pin(x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes()))


async def test_a_valid_certificate_passes_with_its_facts(
    ca: trustme.CA, ca_file: str, run_context: RunContext
) -> None:
    leaf = leaf_valid_for(ca, 90)
    async with tls_server(leaf) as port:
        result = await run_check(
            tls_check(port, ca_file=ca_file, expect_issuer="garrison test ca"), run=run_context
        )
    assert result.ok, result.reason
    assert result.severity is None
    assert result.details["days_left"] in (89, 90)
    assert "Garrison Test CA" in result.details["issuer"]
    assert result.details["spki_pin_sha256"] == pin_of(leaf)
    assert result.details["verified"] is True
    assert result.details["not_after"].startswith(
        (run_context.started_at + timedelta(days=90)).date().isoformat()[:7]
    )
    assert {"connect", "tls", "total"} <= set(result.phases)


async def test_an_unknown_ca_fails_but_keeps_the_facts(
    ca: trustme.CA, run_context: RunContext
) -> None:
    async with tls_server(leaf_valid_for(ca, 90)) as port:
        result = await run_check(tls_check(port), run=run_context)
    assert not result.ok
    assert result.reason == (
        "the certificate is not trusted: unable to get local issuer certificate"
    )
    assert result.details["verified"] is False
    assert result.details["days_left"] in (89, 90)


async def test_an_expired_certificate_fails(
    ca: trustme.CA, ca_file: str, run_context: RunContext
) -> None:
    async with tls_server(leaf_valid_for(ca, -2)) as port:
        result = await run_check(tls_check(port, ca_file=ca_file), run=run_context)
    assert not result.ok
    assert result.reason == "the certificate is not trusted: certificate has expired"
    assert result.details["days_left"] < 0


async def test_near_expiry_warns_and_under_critical_fails(
    ca: trustme.CA, ca_file: str, run_context: RunContext
) -> None:
    async with tls_server(leaf_valid_for(ca, 10.5)) as port:
        warned = await run_check(tls_check(port, ca_file=ca_file), run=run_context)
    assert warned.ok
    assert warned.severity == "warning"
    assert warned.details["warning"].startswith("the certificate expires in 10 days")
    async with tls_server(leaf_valid_for(ca, 3.5)) as port:
        critical = await run_check(tls_check(port, ca_file=ca_file), run=run_context)
    assert not critical.ok
    assert critical.reason.startswith("the certificate expires in 3 days")


async def test_spki_pins_match_or_not(
    ca: trustme.CA, ca_file: str, run_context: RunContext
) -> None:
    leaf = leaf_valid_for(ca, 90)
    other = leaf_valid_for(ca, 90)
    async with tls_server(leaf) as port:
        pinned = await run_check(
            tls_check(port, ca_file=ca_file, spki_pin_sha256=[pin_of(other), pin_of(leaf)]),
            run=run_context,
        )
        mismatch = await run_check(
            tls_check(port, ca_file=ca_file, spki_pin_sha256=[pin_of(other)]), run=run_context
        )
    assert pinned.ok, pinned.reason
    assert not mismatch.ok
    assert mismatch.reason == (f"the public key {pin_of(leaf)} matches none of the pinned keys")


async def test_an_unexpected_issuer_fails(
    ca: trustme.CA, ca_file: str, run_context: RunContext
) -> None:
    async with tls_server(leaf_valid_for(ca, 90)) as port:
        result = await run_check(
            tls_check(port, ca_file=ca_file, expect_issuer="Let's Encrypt"), run=run_context
        )
    assert not result.ok
    assert 'expected it to contain "Let\'s Encrypt"' in result.reason


async def test_a_hostname_mismatch_fails(
    ca: trustme.CA, ca_file: str, run_context: RunContext
) -> None:
    async with tls_server(leaf_valid_for(ca, 90)) as port:
        by_name = await run_check(
            tls_check(port, ca_file=ca_file, server_name="localhost"), run=run_context
        )
        wrong_name = await run_check(
            tls_check(port, ca_file=ca_file, server_name="www.example.org"), run=run_context
        )
    assert by_name.ok, by_name.reason
    assert not wrong_name.ok
    assert wrong_name.reason.startswith("the certificate is not trusted: Hostname mismatch")


async def test_a_half_server_hello_fails_at_the_deadline(run_context: RunContext) -> None:
    async with tcp_server(half_server_hello) as port:
        result = await run_check(tls_check(port, timeout=0.3), run=run_context)
        over_https = await run_check(
            HttpCheck(id="web", type="http", url=f"https://127.0.0.1:{port}/", timeout=0.3),
            run=run_context,
        )
    assert result.reason == "no answer within 0.3 s while doing the TLS handshake"
    assert over_https.reason == "no answer within 0.3 s while doing the TLS handshake"


async def test_a_connection_closed_mid_handshake_fails(run_context: RunContext) -> None:
    async with tcp_server(closes_mid_handshake) as port:
        result = await run_check(tls_check(port, timeout=2), run=run_context)
        over_https = await run_check(
            HttpCheck(id="web", type="http", url=f"https://127.0.0.1:{port}/", timeout=2),
            run=run_context,
        )
    for failed in (result, over_https):
        assert not failed.ok
        assert failed.reason in (
            "the connection was closed during the TLS handshake",
            "the connection was reset",
        ), failed.reason
        assert failed.latency_ms is not None
        assert failed.latency_ms < 2_000


async def test_a_ca_file_that_is_not_pem_is_named(tmp_path: Any, run_context: RunContext) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    result = await run_check(tls_check(1, ca_file=str(bad)), run=run_context)
    assert result.reason == f"ca_file {bad} is not a PEM bundle of certificates"
    missing = await run_check(tls_check(1, ca_file=str(tmp_path / "none.pem")), run=run_context)
    assert missing.reason.startswith(f"ca_file {tmp_path / 'none.pem'} cannot be read")
