from __future__ import annotations

import hashlib

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from garrison.auth import passwords
from garrison.auth.models import WebSession
from garrison.auth.sessions import SESSION_COOKIE
from garrison.clock import ManualClock
from garrison.runtime.context import AppContext
from tests.auth.factories import (
    PASSWORD,
    audit_actions,
    client_from,
    load_user,
    log_in,
    make_user,
)

INVALID = "The username or password is incorrect."


async def test_good_login_sets_a_hardened_session_cookie(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "alice")
    response = await client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["username"] == "alice"
    assert body["restriction"] is None
    assert len(body["csrf_token"]) >= 40
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "alice"
    assert me.json()["via"] == "session"


async def test_only_the_digest_of_the_session_token_is_stored(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "alice")
    await log_in(client, "alice")
    raw = client.cookies[SESSION_COOKIE]
    async with context.sessions() as session:
        stored = (await session.scalars(select(WebSession))).one()
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in stored.token_hash


async def test_cookie_is_secure_under_https(context: AppContext) -> None:
    await make_user(context, "alice")
    async with client_from(context, "127.0.0.1", base_url="https://testserver") as client:
        response = await client.post(
            "/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}
        )
    assert "Secure" in response.headers["set-cookie"]


async def test_cookie_is_secure_when_settings_say_always(context: AppContext) -> None:
    context.settings = context.settings.model_copy(update={"secure_cookies": "always"})
    await make_user(context, "alice")
    async with client_from(context, "127.0.0.1") as client:
        response = await client.post(
            "/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}
        )
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    ("username", "password", "outcome"),
    [
        ("alice", "wrong password here", "bad_password"),
        ("nobody", PASSWORD, "unknown_user"),
        ("carol", PASSWORD, "disabled"),
    ],
)
async def test_failures_look_alike_but_are_audited_apart(
    client: httpx.AsyncClient, context: AppContext, username: str, password: str, outcome: str
) -> None:
    await make_user(context, "alice")
    await make_user(context, "carol", disabled=True)
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == INVALID
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    failures = [e for e in await audit_actions(context) if e.action == "auth.login.failed"]
    assert len(failures) == 1
    assert failures[0].target_id == username
    assert failures[0].after is not None
    assert failures[0].after["outcome"] == outcome
    assert password not in str(failures[0].after)


async def test_success_is_audited_without_secrets(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "alice")
    await log_in(client, "alice")
    entries = [e for e in await audit_actions(context) if e.action == "auth.login.succeeded"]
    assert len(entries) == 1
    assert entries[0].actor_name == "alice"
    everything = " ".join(str(e.before) + str(e.after) for e in await audit_actions(context))
    assert PASSWORD not in everything
    assert client.cookies[SESSION_COOKIE] not in everything


async def test_session_expires_after_the_configured_hours(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    await make_user(context, "alice")
    await log_in(client, "alice")
    clock.advance(context.settings.session_hours * 3600 - 1)
    assert (await client.get("/api/v1/me")).status_code == 200
    clock.advance(2)
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert "log in again" in response.json()["detail"]


async def test_logout_revokes_the_session(client: httpx.AsyncClient, context: AppContext) -> None:
    await make_user(context, "alice")
    csrf = await log_in(client, "alice")
    stolen = client.cookies[SESSION_COOKIE]
    response = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    assert (await client.get("/api/v1/me")).status_code == 401
    # The old cookie value is dead on the server, not only forgotten by the browser.
    client.cookies.set(SESSION_COOKIE, stolen)
    assert (await client.get("/api/v1/me")).status_code == 401
    assert "auth.logout" in [e.action for e in await audit_actions(context)]


async def test_anonymous_is_401_and_garbage_cookie_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/me")).status_code == 401
    client.cookies.set(SESSION_COOKIE, "not-a-session")
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_login_rehashes_when_parameters_change(
    client: httpx.AsyncClient, context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_user(context, "alice")
    old_hash = (await load_user(context, "alice")).password_hash
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(passwords, "password_hasher", lambda: stronger)
    await log_in(client, "alice")
    new_hash = (await load_user(context, "alice")).password_hash
    assert new_hash != old_hash
    assert "t=2" in new_hash
    assert not stronger.check_needs_rehash(new_hash)


async def test_username_is_matched_case_insensitively(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "alice")
    await log_in(client, " Alice ")
