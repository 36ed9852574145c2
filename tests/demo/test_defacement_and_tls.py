from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from garrison.demo.lab import FaultKind, HttpSite, LabCertificate
from garrison.demo.lab.defacement import ATTACKER_SCRIPT, BOAST
from garrison.demo.lab.http_wire import Response
from tests.demo.factories import IO_TIMEOUT, LAB_START, TEST_PAGE


def _url(site: HttpSite, path: str = "/", scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{site.port}{path}"


async def test_deface_swaps_the_pages_and_keeps_the_health_endpoint(
    site: HttpSite, http_client: httpx.AsyncClient
) -> None:
    await site.set_fault(FaultKind.DEFACE)

    page = await http_client.get(_url(site))
    index = await http_client.get(_url(site, "/index.html"))
    health = await http_client.get(_url(site, "/healthz"))

    assert page.status_code == 200
    assert f"<h1>{BOAST}</h1>" in page.text
    assert f'<script src="{ATTACKER_SCRIPT}"></script>' in page.text
    assert "198.51.100.7" in ATTACKER_SCRIPT
    assert "Test Portal" not in page.text.split("<body", 1)[0]
    assert index.text == page.text
    assert health.text == "ok"
    await site.set_fault(None)
    assert "Trang thử nghiệm" in (await http_client.get(_url(site))).text


async def test_extra_resources_are_served_next_to_the_page(
    http_client: httpx.AsyncClient,
) -> None:
    feed = Response(status=HTTPStatus.OK, content_type="application/json", body=b'{"ok":true}')
    site = HttpSite(name="bridge", port=0, page=TEST_PAGE, extra_resources={"/health": feed})
    await site.start()
    try:
        health = await http_client.get(_url(site, "/health"))
        page = await http_client.get(_url(site))
    finally:
        await site.stop()

    assert health.json() == {"ok": True}
    assert health.headers["content-type"] == "application/json"
    assert page.status_code == 200


def test_the_certificate_names_the_lab_and_chains_to_its_authority() -> None:
    certificate = LabCertificate.create(LAB_START, valid_for=timedelta(days=30))

    leaf = x509.load_pem_x509_certificates(certificate.certificate_pem)[0]
    authority = x509.load_pem_x509_certificate(certificate.ca_pem)
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "www.congress.example" in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert leaf.issuer == authority.subject
    leaf.verify_directly_issued_by(authority)
    assert leaf.not_valid_after_utc == LAB_START + timedelta(days=30)
    assert certificate.not_after == LAB_START + timedelta(days=30)
    assert leaf.not_valid_before_utc < LAB_START


def test_the_certificate_refuses_naive_times_and_empty_validity() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        LabCertificate.create(LAB_START.replace(tzinfo=None))
    with pytest.raises(ValueError, match="valid for some time"):
        LabCertificate.create(LAB_START, valid_for=timedelta(0))


async def test_a_tls_site_is_trusted_through_the_written_authority(tmp_path: Path) -> None:
    certificate = LabCertificate.create(datetime.now(UTC))
    ca_file = tmp_path / "lab" / "ca.pem"
    certificate.write_ca(ca_file)
    site = HttpSite(
        name="portal-tls", port=0, page=TEST_PAGE, ssl_context=certificate.server_context()
    )
    await site.start()
    try:
        trusted = ssl.create_default_context(cafile=str(ca_file))
        async with httpx.AsyncClient(trust_env=False, verify=trusted, timeout=IO_TIMEOUT) as client:
            page = await client.get(_url(site, scheme="https"))
        async with httpx.AsyncClient(trust_env=False, timeout=IO_TIMEOUT) as client:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(_url(site, scheme="https"))
        await site.set_fault(FaultKind.DEFACE)
        async with httpx.AsyncClient(trust_env=False, verify=trusted, timeout=IO_TIMEOUT) as client:
            defaced = await client.get(_url(site, scheme="https"))
    finally:
        await site.stop()

    assert page.status_code == 200
    assert "Test Portal" in page.text
    assert BOAST in defaced.text
    assert site.status().kind == "https"


async def test_a_hung_tls_site_never_completes_the_handshake() -> None:
    certificate = LabCertificate.create(datetime.now(UTC))
    site = HttpSite(name="tls", port=0, page=TEST_PAGE, ssl_context=certificate.server_context())
    await site.start()
    try:
        await site.set_fault(FaultKind.HANG)
        trusted = ssl.create_default_context(cadata=certificate.ca_pem.decode("ascii"))
        async with httpx.AsyncClient(trust_env=False, verify=trusted) as client:
            with pytest.raises(httpx.ConnectTimeout):
                await client.get(_url(site, scheme="https"), timeout=0.3)
    finally:
        await site.stop()
