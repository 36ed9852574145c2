"""Integrations: created over the API (key shown once, kept hashed) or from the configuration."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from garrison.auth.permissions import Role
from garrison.config import ConfigValidationError, load_config
from garrison.incidents.models import IncidentPolicyRecord, Integration
from garrison.incidents.pagerduty_views import router as pagerduty_router
from garrison.incidents.views import router as incidents_router
from garrison.incidents.worker import IncidentWorker
from garrison.runtime.assembly import open_context
from garrison.runtime.context import AppContext
from garrison.settings import Settings
from garrison.web.app import API_PREFIX
from tests.auth.factories import audit_actions, bearer
from tests.incidents.factories import EVENT_YAML, am_alert, am_payload, user_headers

API = "/api/v1/integrations"
KEY = "k" * 40


async def test_create_list_rotate_disable(client: httpx.AsyncClient, context: AppContext) -> None:
    admin = await user_headers(context, "root", Role.ADMIN)
    leader = await user_headers(context, "chi", Role.LEADER)
    body = {"id": "am-core", "name": "Core Alertmanager", "kind": "alertmanager"}

    assert (await client.post(API, json=body, headers=leader)).status_code == 403
    created = await client.post(API, json=body, headers=admin)
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert len(key) == 32
    assert (await client.post(API, json=body, headers=admin)).status_code == 409

    listed = (await client.get(API, headers=admin)).json()
    assert [item["id"] for item in listed] == ["am-core"]
    assert "key" not in listed[0]
    assert listed[0]["key_prefix"] == key[:6]
    async with context.sessions() as session:
        record = await session.get(Integration, "am-core")
        assert record is not None
        assert record.key_hash == hashlib.sha256(key.encode()).hexdigest()

    alert = am_payload([am_alert("fp")])
    url = f"{API}/alertmanager"
    assert (await client.post(url, json=alert, headers=bearer(key))).status_code == 200

    rotated = await client.post(f"{API}/am-core/rotate", headers=admin)
    new_key = rotated.json()["key"]
    assert new_key != key
    assert (await client.post(url, json=alert, headers=bearer(key))).status_code == 401
    assert (await client.post(url, json=alert, headers=bearer(new_key))).status_code == 200

    assert (await client.delete(f"{API}/am-core", headers=admin)).status_code == 204
    assert (await client.post(url, json=alert, headers=bearer(new_key))).status_code == 401
    actions = [e.action for e in await audit_actions(context, target_id="am-core")]
    assert actions == ["integration.created", "integration.key_rotated", "integration.disabled"]
    assert key not in json.dumps([e.after for e in await audit_actions(context)])
    assert (await client.delete(f"{API}/nothing", headers=admin)).status_code == 404
    bad = await client.post(API, json={**body, "id": "Bad Id"}, headers=admin)
    assert bad.status_code == 422


def _config(tmp_path: Path, integrations: str) -> Path:
    path = tmp_path / "event.yaml"
    path.write_text(EVENT_YAML + integrations, encoding="utf-8")
    return path


INCIDENTS_SECTION = """
incidents:
  integrations:
    - {id: am-main, name: Main Alertmanager, kind: alertmanager, key: "${AM_KEY}",
       default_severity: sev2, rate_limit_per_minute: 50}
  grouping: {window_seconds: 900}
  classification: {security: confidential, security_units: [cyber]}
"""


async def test_the_worker_mirrors_the_configuration(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AM_KEY", KEY)
    path = _config(tmp_path, INCIDENTS_SECTION)
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, config_file=path)
    async with open_context(settings) as context:
        worker = IncidentWorker(context)
        await worker.sync_configuration()
        await worker.sync_configuration()  # again: nothing changes
        async with context.sessions() as session:
            record = await session.get(Integration, "am-main")
            policy = await session.scalar(select(IncidentPolicyRecord))
        assert record is not None
        assert policy is not None
        assert (record.managed_by, record.default_severity, record.rate_limit_per_minute) == (
            "config",
            "sev2",
            50,
        )
        assert record.key_hash == hashlib.sha256(KEY.encode()).hexdigest()
        assert policy.data["grouping"]["window_seconds"] == 900
        assert policy.data["classification"]["security_units"] == ["cyber"]
        assert "integrations" not in policy.data
        actions = [e.action for e in await audit_actions(context)]
        assert actions.count("integration.created") == 1
        assert actions.count("incident_policy.updated") == 1

        # Removed from the file: disabled, not deleted.
        path.write_text(EVENT_YAML, encoding="utf-8")
        await worker.sync_configuration()
        async with context.sessions() as session:
            record = await session.get(Integration, "am-main")
        assert record is not None
        assert record.disabled_at is not None


def test_configuration_errors_name_the_field_and_never_the_key(tmp_path: Path) -> None:
    short = _config(
        tmp_path,
        "\nincidents:\n  integrations:\n    - {id: a, name: A, kind: webhook, key: short-secret}\n",
    )
    with pytest.raises(ConfigValidationError) as caught:
        load_config(short, environ={})
    assert "incidents.integrations[0].key" in str(caught.value)
    assert "short-secret" not in str(caught.value)

    twice = _config(
        tmp_path,
        "\nincidents:\n  integrations:\n"
        f"    - {{id: a, name: A, kind: webhook, key: {KEY}}}\n"
        f"    - {{id: a, name: B, kind: pagerduty, key: {KEY}}}\n",
    )
    with pytest.raises(ConfigValidationError) as caught:
        load_config(twice, environ={})
    assert "integration ids must be unique: a" in str(caught.value)
    assert KEY not in str(caught.value)

    unknown = _config(tmp_path, "\nincidents:\n  grouping: {rules: [by_mood]}\n")
    with pytest.raises(ConfigValidationError) as caught:
        load_config(unknown, environ={})
    assert "incidents.grouping.rules[0]" in str(caught.value)


def test_openapi_documents_the_signal_endpoints() -> None:
    # Only the incident routers, mounted as create_app mounts them: this checks our part.
    app = FastAPI()
    app.include_router(incidents_router, prefix=API_PREFIX)
    app.include_router(pagerduty_router)
    document = app.openapi()
    paths = document["paths"]
    enqueue = paths["/v2/enqueue"]["post"]
    schema = enqueue["requestBody"]["content"]["application/json"]["schema"]
    assert "routing_key" in schema["properties"]
    assert set(enqueue["responses"]) >= {"202", "400", "401"}
    alertmanager = paths["/api/v1/integrations/alertmanager"]["post"]
    body = alertmanager["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["alerts"]["items"]["properties"]["fingerprint"]["type"] == "string"
    webhook = paths["/api/v1/integrations/webhook"]["post"]
    assert (
        "is_drill" in webhook["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )
    assert "/api/v1/incidents/{incident_id}/acknowledge" in paths
