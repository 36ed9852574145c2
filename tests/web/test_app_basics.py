from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from garrison.runtime.context import AppContext
from garrison.storage.engine import create_engine


async def test_healthz_is_alive(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_readyz_needs_every_worker_running(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    context.workers.expected = ("housekeeping",)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["workers"] == {"housekeeping": False}
    context.workers.running.add("housekeeping")
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    context.workers.stopping = True
    assert (await client.get("/readyz")).status_code == 503


async def test_readyz_answers_while_a_writer_holds_the_store(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    async with context.sessions() as writer:
        # On SQLite this transaction began IMMEDIATE: it holds the write lock.
        await writer.execute(text("SELECT 1"))
        async with asyncio.timeout(10):
            response = await client.get("/readyz")
        await writer.rollback()
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_readyz_reports_an_unreachable_database(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    healthy_engine = context.engine
    # Nothing listens on port 1 of the loopback: the connection is refused at once.
    broken: AsyncEngine = create_engine("postgresql://garrison@127.0.0.1:1/garrison")
    context.engine = broken
    try:
        response = await client.get("/readyz")
    finally:
        context.engine = healthy_engine
        await broken.dispose()
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/login", "/api/v1/openapi.json", "/does-not-exist"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_oversized_bodies_get_413(client: httpx.AsyncClient, context: AppContext) -> None:
    limit = context.settings.max_request_bytes
    response = await client.post(
        "/api/v1/auth/login",
        content=b"x" * (limit + 1),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"y" * (limit // 4 + 1)

    streamed = await client.post(
        "/api/v1/auth/login",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert streamed.status_code == 413


async def test_openapi_document_describes_the_versioned_api(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/v1/openapi.json")).json()
    assert document["info"]["title"] == "Garrison"
    assert "/api/v1/event" in document["paths"]
    assert "/api/v1/audit" in document["paths"]
    # /v2/enqueue is the PagerDuty Events API v2 path, kept as that API names it.
    assert all(path.startswith("/api/v1/") or path == "/v2/enqueue" for path in document["paths"])


async def test_metrics_need_a_permission_unless_public(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    assert (await client.get("/metrics")).status_code == 401
    await client.get("/healthz")
    object.__setattr__(
        context, "settings", context.settings.model_copy(update={"metrics_public": True})
    )
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert (
        'garrison_http_requests_total{method="GET",route="/healthz",status="200"}' in response.text
    )
    assert "garrison_build_info" in response.text


async def test_validation_errors_name_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/login", json={"username": 5})
    assert response.status_code == 422
    fields = {problem["field"] for problem in response.json()["problems"]}
    assert "body.password" in fields
