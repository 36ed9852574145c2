"""Attachments: stored in the data directory, type sniffed, served as downloads, size-limited."""

from __future__ import annotations

import hashlib

import httpx

from garrison.auth.permissions import Role
from garrison.config.incidents import IncidentsConfig
from garrison.incidents.attachments import safe_filename, sniff_content_type
from garrison.runtime.context import AppContext
from tests.incidents.factories import set_policy, timeline_kinds, user_headers

API = "/api/v1/incidents"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def _incident(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.post(API, json={"title": "Defaced page"}, headers=headers)
    return f"{API}/{response.json()['id']}"


async def test_upload_list_and_download(client: httpx.AsyncClient, context: AppContext) -> None:
    officer = await user_headers(context, "lan", Role.DUTY_OFFICER)
    url = await _incident(client, officer)

    # The sender says HTML; the bytes say PNG: the bytes win.
    response = await client.post(
        f"{url}/attachments",
        files={"file": ("../../etc/screen shot.png", PNG, "text/html")},
        headers=officer,
    )

    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["filename"] == "screen shot.png"
    assert stored["content_type"] == "image/png"
    assert stored["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert stored["uploaded_by"] == "lan"
    on_disk = context.settings.data_dir / "attachments" / str(stored["incident_id"])
    assert [path.read_bytes() for path in on_disk.iterdir()] == [PNG]

    listed = (await client.get(f"{url}/attachments", headers=officer)).json()
    assert [item["id"] for item in listed] == [stored["id"]]
    download = await client.get(f"{url}/attachments/{stored['id']}", headers=officer)
    assert download.status_code == 200
    assert download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert await timeline_kinds(context, stored["incident_id"]) == ["opened", "attachment"]
    other = await _incident(client, officer)
    assert (
        await client.get(f"{other}/attachments/{stored['id']}", headers=officer)
    ).status_code == 404


async def test_size_limits_and_empty_files(client: httpx.AsyncClient, context: AppContext) -> None:
    officer = await user_headers(context, "lan", Role.DUTY_OFFICER)
    url = await _incident(client, officer)
    await set_policy(context, IncidentsConfig(max_attachment_bytes=2048))

    too_big = await client.post(
        f"{url}/attachments", files={"file": ("big.bin", b"x" * 2049)}, headers=officer
    )
    assert too_big.status_code == 413
    assert "2048" in too_big.json()["detail"]
    # Above the request limit (1 MiB by default) the whole request is refused first.
    huge = await client.post(
        f"{url}/attachments",
        files={"file": ("huge.bin", b"x" * (1024 * 1024 + 1))},
        headers=officer,
    )
    assert huge.status_code == 413
    empty = await client.post(f"{url}/attachments", files={"file": ("e.txt", b"")}, headers=officer)
    assert empty.status_code == 422
    assert (await client.get(f"{url}/attachments", headers=officer)).json() == []
    assert not (context.settings.data_dir / "attachments").exists() or not any(
        (context.settings.data_dir / "attachments").rglob("*.*")
    )


def test_sniffing_and_file_names() -> None:
    assert sniff_content_type(b"%PDF-1.7 ...") == "application/pdf"
    assert sniff_content_type(b"\xd4\xc3\xb2\xa1rest") == "application/vnd.tcpdump.pcap"
    assert sniff_content_type("<html>xin chào</html>".encode()) == "text/plain; charset=utf-8"
    assert sniff_content_type(b"\x00\x01\x02") == "application/octet-stream"
    assert sniff_content_type(b"\xff\xfe\xfa garbage" * 10) == "application/octet-stream"
    assert safe_filename("C:\\Users\\x\\report.pdf") == "report.pdf"
    assert safe_filename("a\x00b\n.txt") == "ab.txt"
    assert safe_filename("..") == "attachment"
    assert safe_filename("x" * 300 + ".png").endswith(".png")
    assert len(safe_filename("x" * 300 + ".png")) == 200
