"""The searchable store: batch writes off the hot path, GET /api/v1/events, retention."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from garrison.auth.permissions import Role
from garrison.detection.ingest import service
from garrison.detection.ingest.metrics import register_ingest_metrics
from garrison.detection.ingest.store import EventStore, purge_expired
from garrison.detection.records import LogEvent, LogSource
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user

API = "/api/v1/events"
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _event(
    n: int, *, source: str = "web", kind: str = "log", fields: dict[str, object] | None = None
) -> LogEvent:
    return LogEvent(
        source=source,
        received_at=T0 + timedelta(minutes=n),
        logsource=LogSource(product="nginx", category="webserver"),
        fields={"n": n, **(fields or {})},
        raw=f"line {n}\x00",
        kind=kind,
        parser="nginx_access",
        host="web1",
    )


@contextlib.asynccontextmanager
async def _store(context: AppContext, capacity: int = 100) -> AsyncIterator[EventStore]:
    from prometheus_client import CollectorRegistry  # noqa: PLC0415

    store = EventStore(
        sessions=context.sessions,
        metrics=register_ingest_metrics(CollectorRegistry()),
        capacity=capacity,
        batch=3,
    )
    task = asyncio.create_task(store.run())
    try:
        yield store
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _headers(context: AppContext, role: Role) -> dict[str, str]:
    name = f"s-{role.value.replace('_', '-')}"
    await make_user(context, name, role=role)
    return bearer(await make_token(context, name))


async def test_the_store_writes_in_batches_off_the_hot_path(context: AppContext) -> None:
    async with _store(context) as store:
        await store.accept([_event(n) for n in range(7)])
        async with asyncio.timeout(10):
            await store.wait_idle()
    async with context.sessions() as session:
        rows = await service.search_events(session, query=service.EventQuery(limit=50))
    assert [row.fields["n"] for row in rows] == list(range(6, -1, -1))
    assert rows[0].raw == "line 6\ufffd"
    assert rows[0].received_at == T0 + timedelta(minutes=6)


async def test_a_full_store_buffer_drops_from_the_store_only() -> None:
    from prometheus_client import CollectorRegistry  # noqa: PLC0415

    registry = CollectorRegistry()

    async def never(*_args: object) -> None:
        raise AssertionError("no session needed")

    store = EventStore(sessions=never, metrics=register_ingest_metrics(registry), capacity=2)  # type: ignore[arg-type]
    await store.accept([_event(n) for n in range(5)])
    assert store.buffered == 2
    dropped = registry.get_sample_value(
        "garrison_log_events_store_dropped_total", {"reason": "buffer_full"}
    )
    assert dropped == 3


async def _fill(context: AppContext) -> None:
    events = [
        _event(1, fields={"cs-method": "GET", "sc-status": 404}),
        _event(2, fields={"cs-method": "POST", "sc-status": 200}),
        _event(3, source="ssh", kind="auth_failure", fields={"source_address": "192.0.2.1"}),
        _event(4, source="ssh", kind="auth_failure", fields={"source_address": "192.0.2.2"}),
        replace(_event(5, fields={"cs-method": "GET", "sc-status": 404}), host="web2"),
    ]
    async with context.sessions() as session:
        await service.insert_events(session, events=events)
        await session.commit()


async def test_search_by_source_time_and_field_values(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await _fill(context)
    headers = await _headers(context, Role.ANALYST)

    async def numbers(**params: str | list[str]) -> list[int]:
        response = await client.get(API, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [event["fields"]["n"] for event in response.json()["events"]]

    assert await numbers() == [5, 4, 3, 2, 1]
    assert await numbers(source="ssh") == [4, 3]
    assert await numbers(kind="auth_failure", field="source_address:192.0.2.2") == [4]
    assert await numbers(field=["cs-method:GET", "sc-status:404"]) == [5, 1]
    assert await numbers(host="web2") == [5]
    since, until = (T0 + timedelta(minutes=2)).isoformat(), (T0 + timedelta(minutes=4)).isoformat()
    assert await numbers(since=since, until=until) == [3, 2]


async def test_search_pages(context: AppContext, client: httpx.AsyncClient) -> None:
    await _fill(context)
    headers = await _headers(context, Role.ADMIN)
    first = (await client.get(API, params={"limit": 2}, headers=headers)).json()
    assert [e["fields"]["n"] for e in first["events"]] == [5, 4]
    second = (
        await client.get(
            API, params={"limit": 2, "before_id": first["next_before_id"]}, headers=headers
        )
    ).json()
    assert [e["fields"]["n"] for e in second["events"]] == [3, 2]
    last = (
        await client.get(
            API, params={"limit": 2, "before_id": second["next_before_id"]}, headers=headers
        )
    ).json()
    assert [e["fields"]["n"] for e in last["events"]] == [1]
    assert last["next_before_id"] is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2026-06-01T08:00:00"}, "UTC offset"),
        ({"since": "2026-06-02T00:00:00Z", "until": "2026-06-01T00:00:00Z"}, "before until"),
        ({"field": "no-colon"}, "name:value"),
        ({"field": "bad name:x"}, "name:value"),
    ],
)
async def test_search_refuses_bad_filters_clearly(
    context: AppContext, client: httpx.AsyncClient, params: dict[str, str], message: str
) -> None:
    headers = await _headers(context, Role.ANALYST)
    response = await client.get(API, params=params, headers=headers)
    assert response.status_code == 422
    assert message in response.json()["detail"]


async def test_search_limits_are_enforced(context: AppContext, client: httpx.AsyncClient) -> None:
    headers = await _headers(context, Role.ANALYST)
    response = await client.get(API, params={"limit": 501}, headers=headers)
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "query.limit"


@pytest.mark.parametrize(("role", "status"), [(Role.DUTY_OFFICER, 403), (Role.OBSERVER, 403)])
async def test_search_needs_events_search(
    context: AppContext, client: httpx.AsyncClient, role: Role, status: int
) -> None:
    headers = await _headers(context, role)
    assert (await client.get(API, headers=headers)).status_code == status
    assert (await client.get(API)).status_code == 401


async def test_retention_forgets_events_older_than_the_period(context: AppContext) -> None:
    now = T0 + timedelta(days=8)
    await _fill(context)
    async with context.sessions() as session:
        await service.insert_events(session, events=[replace(_event(9), received_at=now)])
        await session.commit()
    removed = await purge_expired(context.sessions, now=now, retention_days=7)
    assert removed == 5
    async with context.sessions() as session:
        rows = await service.search_events(session, query=service.EventQuery())
    assert [row.fields["n"] for row in rows] == [9]
