"""The audit API: who may read it, pages and filters, and the verification report."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from garrison.audit.actor import Actor
from garrison.auth.permissions import Role, permissions_for
from garrison.auth.tokens import create_token
from garrison.auth.users import create_user
from garrison.runtime.context import AppContext
from tests.audit.factories import append_entries, set_columns

API = "/api/v1/audit"


async def _token(context: AppContext, *, role: Role) -> dict[str, str]:
    """A ready user of ``role`` (its creation is itself audited) and a bearer header."""
    now = context.clock.now()
    async with context.sessions() as session:
        user, _password = await create_user(
            session,
            username=f"{role.value.replace('_', '-')}-1",
            role=role,
            display_name=None,
            actor=Actor.cli("root"),
            now=now,
        )
        user.must_change_password = False
        created = await create_token(
            session,
            owner=user,
            name="audit test",
            scopes=permissions_for(role),
            granted=permissions_for(role),
            expires_at=now + timedelta(days=30),
            actor=Actor.cli("root"),
            now=now,
        )
        await session.commit()
    return {"Authorization": f"Bearer {created.secret}"}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.LEADER])
async def test_admins_and_leaders_read_the_log(
    context: AppContext, client: httpx.AsyncClient, role: Role
) -> None:
    headers = await _token(context, role=role)
    await append_entries(context, 3)
    response = await client.get(API, headers=headers)
    assert response.status_code == 200
    body = response.json()
    # The user's and token's creation come first, then the three test entries.
    assert [entry["seq"] for entry in body["entries"]] == [5, 4, 3, 2, 1]
    assert body["next_before_seq"] is None
    newest = body["entries"][0]
    assert newest["actor"] == {"kind": "user", "id": "3", "name": "user3"}
    assert newest["action"] == "test.change"
    assert newest["occurred_at"] == "2026-06-01T08:02:00Z"
    assert newest["origin"]["address"] == "192.0.2.10"
    assert newest["after"] == {"state": "down", "n": 3, "tags": ["a", "b"]}
    assert len(newest["hash"]) == 64
    assert newest["prev_hash"] == body["entries"][1]["hash"]
    assert body["entries"][-1]["action"] == "user.created"


@pytest.mark.parametrize("role", [Role.COMMANDER, Role.DUTY_OFFICER, Role.OBSERVER])
async def test_other_roles_may_not_read_the_log(
    context: AppContext, client: httpx.AsyncClient, role: Role
) -> None:
    headers = await _token(context, role=role)
    assert (await client.get(API, headers=headers)).status_code == 403
    assert (await client.get(f"{API}/verify", headers=headers)).status_code == 403


async def test_anonymous_callers_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get(API)).status_code == 401
    assert (await client.get(f"{API}/verify")).status_code == 401


async def test_pages_and_filters(context: AppContext, client: httpx.AsyncClient) -> None:
    headers = await _token(context, role=Role.ADMIN)
    await append_entries(context, 5)
    first = (await client.get(API, params={"limit": 3}, headers=headers)).json()
    assert [entry["seq"] for entry in first["entries"]] == [7, 6, 5]
    assert first["next_before_seq"] == 5
    second = (
        await client.get(
            API, params={"limit": 3, "before_seq": first["next_before_seq"]}, headers=headers
        )
    ).json()
    assert [entry["seq"] for entry in second["entries"]] == [4, 3, 2]
    filtered = (
        await client.get(
            API,
            params={"action": "test.change", "target_type": "service", "target_id": "svc-2"},
            headers=headers,
        )
    ).json()
    assert [entry["target_id"] for entry in filtered["entries"]] == ["svc-2"]
    by_actor = (await client.get(API, params={"actor": "user1"}, headers=headers)).json()
    assert [entry["seq"] for entry in by_actor["entries"]] == [6, 3]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"before_seq": 0}])
async def test_bad_paging_is_refused(
    context: AppContext, client: httpx.AsyncClient, params: dict[str, int]
) -> None:
    headers = await _token(context, role=Role.ADMIN)
    assert (await client.get(API, params=params, headers=headers)).status_code == 422


async def test_verify_reports_an_intact_chain(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    headers = await _token(context, role=Role.LEADER)
    await append_entries(context, 2)
    response = await client.get(f"{API}/verify", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["intact"] is True
    assert body["checked"] == 4
    assert body["problem"] is None
    assert body["head_seq"] == 4
    assert len(body["head_hash"]) == 64


async def test_verify_names_the_tampered_entry(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    headers = await _token(context, role=Role.ADMIN)
    await append_entries(context, 3)
    await set_columns(context, seq=3, actor_name="mallory")
    body = (await client.get(f"{API}/verify", headers=headers)).json()
    assert body["intact"] is False
    assert body["checked"] == 2
    assert body["problem"]["kind"] == "edited"
    assert body["problem"]["seq"] == 3
    assert isinstance(body["problem"]["entry_id"], int)
    assert "#3" in body["problem"]["message"]
