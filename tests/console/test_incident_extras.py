"""Incident page extras: attachments (upload, list, download, need-to-know) and labels."""

from __future__ import annotations

import re

import httpx

from garrison.auth.permissions import Role
from garrison.config.incidents import IncidentsConfig
from garrison.incidents.vocabulary import Classification
from garrison.runtime.context import AppContext
from tests.console.factories import browser_login, make_incident
from tests.incidents.factories import set_policy

PCAP = b"\xd4\xc3\xb2\xa1" + b"\x00" * 60
LINK = re.compile(r'href="(/incidents/\d+/attachments/\d+)"')


async def test_a_responder_attaches_a_file_and_downloads_it(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    incident_id = await make_incident(context)
    csrf = await browser_login(context, client, "lan", Role.DUTY_OFFICER)
    files = {"file": ("capture.pcap", PCAP, "text/html")}
    refused = await client.post(f"/incidents/{incident_id}/attachments", files=files)
    assert refused.status_code == 403
    uploaded = await client.post(
        f"/incidents/{incident_id}/attachments", files=files, data={"csrf_token": csrf}
    )
    assert uploaded.status_code == 303, uploaded.text
    page = await client.get(f"/incidents/{incident_id}")
    assert "capture.pcap" in page.text
    found = LINK.search(page.text)
    assert found is not None
    download = await client.get(found.group(1))
    assert download.status_code == 200
    assert download.content == PCAP
    # The content type is sniffed, never the sender's; always a download.
    assert download.headers["content-type"] == "application/vnd.tcpdump.pcap"
    assert download.headers["content-disposition"].startswith("attachment")
    assert (await client.get(f"/incidents/{incident_id}/attachments/999")).status_code == 404


async def test_the_policy_size_limit_and_empty_files_are_refused_on_the_page(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await set_policy(context, IncidentsConfig(max_attachment_bytes=2048))
    incident_id = await make_incident(context)
    csrf = await browser_login(context, client, "lan", Role.DUTY_OFFICER)
    big = await client.post(
        f"/incidents/{incident_id}/attachments",
        files={"file": ("big.bin", b"x" * 4096, "application/octet-stream")},
        data={"csrf_token": csrf},
    )
    assert big.status_code == 413
    assert 'role="alert"' in big.text
    assert "2048" in big.text
    empty = await client.post(
        f"/incidents/{incident_id}/attachments",
        files={"file": ("empty.txt", b"", "text/plain")},
        data={"csrf_token": csrf},
    )
    assert empty.status_code == 422
    assert "(file)" in empty.text


async def test_an_observer_neither_uploads_nor_downloads_a_hidden_incidents_files(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    hidden = await make_incident(
        context, title="Intrusion", classification=Classification.CONFIDENTIAL
    )
    public = await make_incident(context, classification=Classification.PUBLIC)
    csrf = await browser_login(context, client, "root-admin", Role.ADMIN)
    for incident_id in (hidden, public):
        response = await client.post(
            f"/incidents/{incident_id}/attachments",
            files={"file": ("notes.txt", b"evidence", "text/plain")},
            data={"csrf_token": csrf},
        )
        assert response.status_code == 303
    link = LINK.search((await client.get(f"/incidents/{hidden}")).text)
    assert link is not None
    client.cookies.clear()
    csrf = await browser_login(context, client, "ngoc", Role.OBSERVER)
    assert (await client.get(link.group(1))).status_code == 404
    assert (await client.get(f"/incidents/{public}")).status_code == 200
    assert 'enctype="multipart/form-data"' not in (await client.get(f"/incidents/{public}")).text
    refused = await client.post(
        f"/incidents/{public}/attachments",
        files={"file": ("x.txt", b"x", "text/plain")},
        data={"csrf_token": csrf},
    )
    assert refused.status_code == 403


async def test_filters_and_badges_show_translated_labels(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    incident_id = await make_incident(context, classification=Classification.PUBLIC)
    await browser_login(context, client, "lan", Role.DUTY_OFFICER)
    listing = (await client.get("/incidents")).text
    assert '<option value="unauthorised_access">Unauthorised access or takeover</option>' in listing
    assert '<option value="triggered">Triggered</option>' in listing
    assert ">Public</span>" in listing
    page = (await client.get(f"/incidents/{incident_id}")).text
    assert "Availability" in page
    assert " Triggered</span>" in page
