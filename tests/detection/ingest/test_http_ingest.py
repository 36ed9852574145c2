"""POST /api/v1/ingest/{source}: what Vector's and Fluent Bit's HTTP sinks send."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest

from garrison.auth.permissions import Role
from garrison.detection.ingest.state import IngestState, configure_ingest
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user
from tests.detection.ingest.factories import detection_settings, log_event, metric

URL = "/api/v1/ingest/edge"
SSHD = "Jun  1 08:00:00 bastion sshd[9]: Failed password for root from 198.51.100.44 port 2222 ssh2"
ACCESS = (
    '192.0.2.80 - - [01/Jun/2026:08:00:00 +0000] "GET /wp-login.php HTTP/1.1" 404 10 "-" "curl/8"'
)


def _configure(context: AppContext, *, parser: str = "auto", queue: int = 1000) -> IngestState:
    return configure_ingest(
        context,
        detection_settings(
            {"name": "edge", "type": "http", "parser": parser, "logsource": {"product": "linux"}},
            {"name": "off", "type": "http", "enabled": False},
            {"name": "udp", "type": "syslog_udp", "port": 5514},
            queues={"pipeline_events": queue},
        ),
    )


async def _writer(context: AppContext, role: Role = Role.ANALYST) -> dict[str, str]:
    await make_user(context, f"user-{role.value.replace('_', '-')}", role=role)
    return bearer(await make_token(context, f"user-{role.value.replace('_', '-')}"))


async def _queued(state: IngestState) -> list[dict[str, object]]:
    events = await state.pipeline.queue.take(10_000) if state.pipeline.queue.depth else []
    return [{"kind": e.kind, "source": e.source, **e.fields} for e in events]


async def test_a_vector_json_array(context: AppContext, client: httpx.AsyncClient) -> None:
    state = _configure(context)
    headers = await _writer(context)
    body = [
        {
            "message": SSHD,
            "host": "bastion",
            "timestamp": "2026-06-01T08:00:00Z",
            "source_type": "file",
        },
        {
            "message": "Jun  1 08:00:01 bastion cron[3]: ok",
            "host": "bastion",
            "source_type": "file",
        },
    ]
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 2, "events": 3, "rejected": 0, "reasons": {}}
    queued = await _queued(state)
    failure = next(e for e in queued if e["kind"] == "auth_failure")
    assert failure["source_address"] == "198.51.100.44"
    assert failure["source"] == "edge"
    assert metric(context.registry, "garrison_ingest_events_total", {"source": "edge"}) == 2


async def test_fluent_bit_json_lines_gzip(context: AppContext, client: httpx.AsyncClient) -> None:
    state = _configure(context)
    headers = await _writer(context)
    lines = [json.dumps({"date": 1780300800.25, "log": ACCESS}) for _ in range(3)]
    body = gzip.compress("\n".join(lines).encode())
    response = await client.post(
        URL,
        content=body,
        headers={**headers, "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 3
    queued = await _queued(state)
    assert {e["c-ip"] for e in queued} == {"192.0.2.80"}
    assert {e["cs-uri-stem"] for e in queued} == {"/wp-login.php"}


async def test_one_object_and_plain_text(context: AppContext, client: httpx.AsyncClient) -> None:
    state = _configure(context)
    headers = await _writer(context)
    single = await client.post(URL, json={"message": SSHD}, headers=headers)
    assert single.json()["events"] == 2
    text = await client.post(
        URL, content=f"{SSHD}\n\n{SSHD}\n", headers={**headers, "Content-Type": "text/plain"}
    )
    assert text.json()["accepted"] == 2
    assert len(await _queued(state)) == 6


async def test_bad_documents_are_counted_with_their_reason(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    _configure(context)
    headers = await _writer(context)
    deep: object = "bottom"
    for _ in range(100):
        deep = {"d": deep}
    body = "\n".join(
        [json.dumps({"message": SSHD}), "{not json", json.dumps(deep), json.dumps([1, 2]), "7"]
    )
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    assert response.json()["reasons"] == {"malformed": 1, "too_deep": 1, "not_an_object": 2}
    labels = {"source": "edge", "reason": "too_deep"}
    assert metric(context.registry, "garrison_ingest_rejected_total", labels) == 1


async def test_nothing_readable_is_a_422(context: AppContext, client: httpx.AsyncClient) -> None:
    _configure(context)
    headers = await _writer(context)
    response = await client.post(URL, content="{{{{\n[[[", headers=headers)
    assert response.status_code == 422
    assert "malformed" in response.json()["detail"]


async def test_a_gzip_bomb_is_refused_without_unpacking_it(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    _configure(context)
    headers = await _writer(context)
    bomb = gzip.compress(b"\n" * (64 * 1024 * 1024))
    assert len(bomb) < 1024 * 1024
    response = await client.post(URL, content=bomb, headers={**headers, "Content-Encoding": "gzip"})
    assert response.status_code == 422
    assert "unpacks to more than" in response.json()["detail"]
    labels = {"source": "edge", "reason": "decompression_limit"}
    assert metric(context.registry, "garrison_ingest_rejected_total", labels) == 1


async def test_broken_gzip_and_unknown_encodings(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    _configure(context)
    headers = await _writer(context)
    broken = await client.post(
        URL, content=b"\x1f\x8bnope", headers={**headers, "Content-Encoding": "gzip"}
    )
    assert broken.status_code == 422
    brotli = await client.post(URL, content=b"x", headers={**headers, "Content-Encoding": "br"})
    assert brotli.status_code == 422
    assert "gzip" in brotli.json()["detail"]


async def test_a_full_queue_answers_429_with_retry_after(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    state = _configure(context, queue=10)
    headers = await _writer(context)
    assert state.pipeline.offer([log_event()] * 10)
    response = await client.post(URL, json={"message": SSHD}, headers=headers)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    await state.pipeline.queue.take(5)
    # Room for 5, but this body makes 6 events: refused whole, never half taken.
    too_big = await client.post(URL, json=[{"message": SSHD}] * 3, headers=headers)
    assert too_big.status_code == 429
    assert state.pipeline.queue.depth == 5
    fits = await client.post(URL, json=[{"message": SSHD}] * 2, headers=headers)
    assert fits.status_code == 200
    dropped = metric(
        context.registry,
        "garrison_ingest_dropped_total",
        {"source": "edge", "reason": "queue_full"},
    )
    assert dropped == 1 + 6


async def test_bodies_over_the_global_limit_get_413(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    _configure(context)
    headers = await _writer(context)
    response = await client.post(URL, content=b"x" * (1024 * 1024 + 1), headers=headers)
    assert response.status_code == 413


async def test_too_many_events_in_one_body(context: AppContext, client: httpx.AsyncClient) -> None:
    configure_ingest(
        context,
        detection_settings({"name": "edge", "type": "http"}, limits={"max_request_events": 3}),
    )
    headers = await _writer(context)
    response = await client.post(URL, json=[{"message": "a"}] * 4, headers=headers)
    assert response.status_code == 422
    assert "more than 3 events" in response.json()["detail"]


@pytest.mark.parametrize("source", ["nowhere", "off", "udp"])
async def test_only_enabled_http_sources_take_bodies(
    context: AppContext, client: httpx.AsyncClient, source: str
) -> None:
    _configure(context)
    headers = await _writer(context)
    response = await client.post(f"/api/v1/ingest/{source}", json={"message": "x"}, headers=headers)
    assert response.status_code == 404
    assert source in response.json()["detail"]


async def test_ingest_needs_a_token_with_ingest_write(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    _configure(context)
    assert (await client.post(URL, json={"message": "x"})).status_code == 401
    observer = await _writer(context, Role.OBSERVER)
    assert (await client.post(URL, json={"message": "x"}, headers=observer)).status_code == 403
    admin = await _writer(context, Role.ADMIN)
    assert (await client.post(URL, json={"message": "x"}, headers=admin)).status_code == 200
