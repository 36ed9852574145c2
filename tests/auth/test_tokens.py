from __future__ import annotations

import hashlib
from datetime import timedelta

import httpx
from sqlalchemy import select

from garrison.auth.models import ApiToken
from garrison.auth.permissions import Permission, Role
from garrison.clock import ManualClock
from garrison.runtime.context import AppContext
from tests.auth.factories import (
    audit_actions,
    bearer,
    log_in,
    make_token,
    make_user,
)


async def _stored_tokens(context: AppContext) -> list[ApiToken]:
    async with context.sessions() as session:
        return list((await session.scalars(select(ApiToken).order_by(ApiToken.id))).all())


async def test_a_created_token_is_shown_once_and_stored_hashed(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "alice")
    csrf = await log_in(client, "alice")
    response = await client.post(
        "/api/v1/tokens",
        json={"name": "dashboard", "scopes": ["event:read"], "expires_in_days": 30},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 201
    secret = response.json()["token"]
    assert secret.startswith("gar_")
    assert len(secret) > 40
    assert response.json()["prefix"] == secret[:12]
    [stored] = await _stored_tokens(context)
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    listed = await client.get("/api/v1/tokens")
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json()] == ["dashboard"]
    assert "token" not in listed.json()[0]
    entries = [e for e in await audit_actions(context) if e.action == "token.created"]
    assert len(entries) == 1
    assert secret not in str(entries[0].after)
    me = await client.get("/api/v1/me", headers=bearer(secret))
    assert me.json()["via"] == "token"
    assert me.json()["permissions"] == ["event:read"]


async def test_scopes_cannot_exceed_the_creators_permissions(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "alice")
    csrf = await log_in(client, "alice")
    response = await client.post(
        "/api/v1/tokens",
        json={"name": "sneaky", "scopes": ["user:manage"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 403
    assert "user:manage" in response.json()["detail"]


async def test_a_token_cannot_mint_a_stronger_token(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "root", role=Role.ADMIN)
    weak = await make_token(
        context, "root", scopes=frozenset({Permission.TOKEN_MANAGE_OWN, Permission.EVENT_READ})
    )
    response = await client.post(
        "/api/v1/tokens",
        json={"name": "stronger", "scopes": ["user:manage"]},
        headers=bearer(weak),
    )
    assert response.status_code == 403


async def test_lifetime_is_at_most_a_year(client: httpx.AsyncClient, context: AppContext) -> None:
    await make_user(context, "alice")
    csrf = await log_in(client, "alice")
    headers = {"X-CSRF-Token": csrf}
    too_long = await client.post(
        "/api/v1/tokens",
        json={"name": "t", "scopes": ["event:read"], "expires_in_days": 366},
        headers=headers,
    )
    assert too_long.status_code == 422
    later = (context.clock.now() + timedelta(days=400)).isoformat()
    too_late = await client.post(
        "/api/v1/tokens",
        json={"name": "t", "scopes": ["event:read"], "expires_at": later},
        headers=headers,
    )
    assert too_late.status_code == 422
    fine = (context.clock.now() + timedelta(days=365)).isoformat()
    ok = await client.post(
        "/api/v1/tokens",
        json={"name": "t", "scopes": ["event:read"], "expires_at": fine},
        headers=headers,
    )
    assert ok.status_code == 201


async def test_scopes_limit_even_an_admin_owner(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "root", role=Role.ADMIN)
    reader = await make_token(context, "root", scopes=frozenset({Permission.EVENT_READ}))
    response = await client.get("/api/v1/users", headers=bearer(reader))
    assert response.status_code == 403
    assert "user:read" in response.json()["detail"]
    created = await client.post(
        "/api/v1/users", json={"username": "eve", "role": "admin"}, headers=bearer(reader)
    )
    assert created.status_code == 403


async def test_effective_permissions_follow_the_owners_current_role(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "root", role=Role.ADMIN)
    await make_user(context, "lena", role=Role.LEADER)
    leader_token = await make_token(context, "lena")
    assert (await client.get("/api/v1/users", headers=bearer(leader_token))).status_code == 200
    admin = await make_token(context, "root")
    demoted = await client.patch(
        "/api/v1/users/lena", json={"role": "observer"}, headers=bearer(admin)
    )
    assert demoted.status_code == 200
    assert (await client.get("/api/v1/users", headers=bearer(leader_token))).status_code == 403


async def test_expired_revoked_and_disabled_owner_tokens_get_401(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    await make_user(context, "root", role=Role.ADMIN)
    await make_user(context, "alice")
    admin = await make_token(context, "root")
    short = await make_token(context, "alice", lifetime=timedelta(hours=1))
    revoked = await make_token(context, "alice")
    owner_disabled = await make_token(context, "alice")
    assert (await client.get("/api/v1/me", headers=bearer(short))).status_code == 200

    clock.advance(3601)
    assert (await client.get("/api/v1/me", headers=bearer(short))).status_code == 401

    [*_rest, revoked_row, _disabled_row] = await _stored_tokens(context)
    response = await client.delete(f"/api/v1/tokens/{revoked_row.id}", headers=bearer(revoked))
    assert response.status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer(revoked))).status_code == 401

    assert (await client.get("/api/v1/me", headers=bearer(owner_disabled))).status_code == 200
    disabled = await client.patch(
        "/api/v1/users/alice", json={"disabled": True}, headers=bearer(admin)
    )
    assert disabled.status_code == 200
    assert (await client.get("/api/v1/me", headers=bearer(owner_disabled))).status_code == 401
    assert "token.revoked" in [e.action for e in await audit_actions(context)]


async def test_malformed_credentials_are_401(client: httpx.AsyncClient) -> None:
    for header in ("Bearer gar_nope", "Bearer something", "Basic dXNlcjpwYXNz", "Bearer "):
        response = await client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header


async def test_last_used_is_written_at_most_once_a_minute(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    await make_user(context, "alice")
    secret = await make_token(context, "alice")
    start = clock.now()
    await client.get("/api/v1/me", headers=bearer(secret))
    clock.advance(30)
    await client.get("/api/v1/me", headers=bearer(secret))
    assert (await _stored_tokens(context))[0].last_used_at == start
    clock.advance(31)
    await client.get("/api/v1/me", headers=bearer(secret))
    assert (await _stored_tokens(context))[0].last_used_at == clock.now()


async def test_listing_and_revoking_other_peoples_tokens_needs_manage_all(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "root", role=Role.ADMIN)
    await make_user(context, "alice")
    await make_user(context, "bob")
    admin = await make_token(context, "root")
    alice = await make_token(context, "alice")
    bob = await make_token(context, "bob")
    own = await client.get("/api/v1/tokens", headers=bearer(alice))
    assert [t["owner"] for t in own.json()] == ["alice"]
    assert (await client.get("/api/v1/tokens?all=true", headers=bearer(alice))).status_code == 403
    everyone = await client.get("/api/v1/tokens?all=true", headers=bearer(admin))
    assert sorted(t["owner"] for t in everyone.json()) == ["alice", "bob", "root"]
    bob_id = next(t["id"] for t in everyone.json() if t["owner"] == "bob")
    assert (
        await client.delete(f"/api/v1/tokens/{bob_id}", headers=bearer(alice))
    ).status_code == 404
    assert (await client.get("/api/v1/me", headers=bearer(bob))).status_code == 200
    assert (
        await client.delete(f"/api/v1/tokens/{bob_id}", headers=bearer(admin))
    ).status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer(bob))).status_code == 401
