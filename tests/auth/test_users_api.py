from __future__ import annotations

import httpx
import pytest

from garrison.auth.permissions import Role
from garrison.auth.sessions import SESSION_COOKIE
from garrison.runtime.context import AppContext
from tests.auth.factories import (
    PASSWORD,
    audit_actions,
    bearer,
    client_from,
    load_user,
    log_in,
    make_token,
    make_user,
)


@pytest.fixture
async def admin_token(context: AppContext) -> str:
    await make_user(context, "root", role=Role.ADMIN)
    return await make_token(context, "root")


async def test_create_user_returns_a_one_time_password_once(
    client: httpx.AsyncClient, context: AppContext, admin_token: str
) -> None:
    response = await client.post(
        "/api/v1/users",
        json={"username": "duty.1", "role": "duty_officer", "display_name": "Duty One"},
        headers=bearer(admin_token),
    )
    assert response.status_code == 201
    one_time = response.json()["one_time_password"]
    assert len(one_time) >= 16
    assert response.json()["user"]["must_change_password"] is True
    listed = await client.get("/api/v1/users", headers=bearer(admin_token))
    assert one_time not in listed.text
    assert [u["username"] for u in listed.json()] == ["duty.1", "root"]
    assert "password_hash" not in listed.text
    [entry] = [
        e for e in await audit_actions(context, target_id="duty.1") if e.action == "user.created"
    ]
    assert entry.target_id == "duty.1"
    assert one_time not in str(entry.after)
    duplicate = await client.post(
        "/api/v1/users",
        json={"username": "duty.1", "role": "observer"},
        headers=bearer(admin_token),
    )
    assert duplicate.status_code == 409


@pytest.mark.parametrize("username", ["ab", "Alice", "with space", "x" * 65, "émile", "a/b"])
async def test_usernames_are_checked(
    client: httpx.AsyncClient, admin_token: str, username: str
) -> None:
    response = await client.post(
        "/api/v1/users",
        json={"username": username, "role": "observer"},
        headers=bearer(admin_token),
    )
    assert response.status_code == 422


async def test_must_change_password_blocks_everything_else(
    client: httpx.AsyncClient, context: AppContext, admin_token: str
) -> None:
    created = await client.post(
        "/api/v1/users", json={"username": "lena", "role": "leader"}, headers=bearer(admin_token)
    )
    one_time = created.json()["one_time_password"]
    login = await client.post("/api/v1/auth/login", json={"username": "lena", "password": one_time})
    assert login.status_code == 200
    assert login.json()["restriction"] == "must_change_password"
    csrf = login.json()["csrf_token"]
    for method, path in [
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/event"),
        ("GET", "/api/v1/tokens"),
    ]:
        response = await client.request(method, path)
        assert response.status_code == 403, path
        assert "new password" in response.json()["detail"]
    assert (
        await client.post("/api/v1/me/totp/setup", headers={"X-CSRF-Token": csrf})
    ).status_code == 403
    assert (await client.get("/api/v1/me")).json()["restriction"] == "must_change_password"
    short = await client.post(
        "/api/v1/me/password",
        json={"current_password": one_time, "new_password": "short"},
        headers={"X-CSRF-Token": csrf},
    )
    assert short.status_code == 422
    wrong = await client.post(
        "/api/v1/me/password",
        json={"current_password": "not it at all", "new_password": "a long new password"},
        headers={"X-CSRF-Token": csrf},
    )
    assert wrong.status_code == 422
    changed = await client.post(
        "/api/v1/me/password",
        json={"current_password": one_time, "new_password": "a long new password"},
        headers={"X-CSRF-Token": csrf},
    )
    assert changed.status_code == 200
    assert changed.json()["restriction"] is None
    assert (await client.get("/api/v1/users")).status_code == 200
    actions = [e.action for e in await audit_actions(context, target_id="lena")]
    assert "user.password.change_failed" in actions
    assert "user.password.changed" in actions


async def test_changing_the_password_ends_other_sessions(context: AppContext) -> None:
    await make_user(context, "alice")
    async with (
        client_from(context, "192.0.2.1") as laptop,
        client_from(context, "192.0.2.2") as phone,
    ):
        csrf = await log_in(laptop, "alice")
        await log_in(phone, "alice")
        response = await laptop.post(
            "/api/v1/me/password",
            json={"current_password": PASSWORD, "new_password": "another long password"},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 200
        assert (await laptop.get("/api/v1/me")).status_code == 200
        assert (await phone.get("/api/v1/me")).status_code == 401


async def test_disabling_a_user_ends_their_sessions(
    client: httpx.AsyncClient, context: AppContext, admin_token: str
) -> None:
    await make_user(context, "alice")
    async with client_from(context, "192.0.2.1") as alice:
        await log_in(alice, "alice")
        response = await client.patch(
            "/api/v1/users/alice", json={"disabled": True}, headers=bearer(admin_token)
        )
        assert response.status_code == 200
        assert response.json()["disabled"] is True
        assert (await alice.get("/api/v1/me")).status_code == 401
        refused = await alice.post(
            "/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}
        )
        assert refused.status_code == 401
    enabled = await client.patch(
        "/api/v1/users/alice", json={"disabled": False}, headers=bearer(admin_token)
    )
    assert enabled.status_code == 200
    actions = [e.action for e in await audit_actions(context, target_id="alice")]
    assert "user.disabled" in actions
    assert "user.enabled" in actions


async def test_reset_password_gives_a_new_one_time_password(
    client: httpx.AsyncClient, context: AppContext, admin_token: str
) -> None:
    await make_user(context, "alice")
    response = await client.post("/api/v1/users/alice/reset-password", headers=bearer(admin_token))
    assert response.status_code == 200
    one_time = response.json()["one_time_password"]
    assert (await load_user(context, "alice")).must_change_password
    old = await client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert old.status_code == 401
    client.cookies.delete(SESSION_COOKIE)
    new = await client.post("/api/v1/auth/login", json={"username": "alice", "password": one_time})
    assert new.json()["restriction"] == "must_change_password"


async def test_the_last_administrator_stays(
    client: httpx.AsyncClient, context: AppContext, admin_token: str
) -> None:
    for change in ({"disabled": True}, {"role": "leader"}):
        response = await client.patch(
            "/api/v1/users/root", json=change, headers=bearer(admin_token)
        )
        assert response.status_code == 409
    await make_user(context, "second", role=Role.ADMIN)
    response = await client.patch(
        "/api/v1/users/root", json={"role": "leader"}, headers=bearer(admin_token)
    )
    assert response.status_code == 200


async def test_unknown_user_is_404(client: httpx.AsyncClient, admin_token: str) -> None:
    assert (await client.get("/api/v1/users/ghost", headers=bearer(admin_token))).status_code == 404
    response = await client.patch(
        "/api/v1/users/ghost", json={"display_name": "x"}, headers=bearer(admin_token)
    )
    assert response.status_code == 404


async def test_profile_changes(client: httpx.AsyncClient, context: AppContext) -> None:
    await make_user(context, "alice")
    csrf = await log_in(client, "alice")
    response = await client.patch(
        "/api/v1/me",
        json={"language": "vi", "display_name": "Alice Nguyen"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200
    assert response.json()["user"]["language"] == "vi"
    assert response.json()["user"]["display_name"] == "Alice Nguyen"
    bad = await client.patch("/api/v1/me", json={"language": "fr"}, headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 422
    assert "user.profile.updated" in [e.action for e in await audit_actions(context)]
