from __future__ import annotations

import httpx

from garrison.auth.permissions import Role
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, log_in, make_token, make_user

NEW_USER = {"username": "newcomer", "role": "observer"}


async def test_cookie_session_needs_the_csrf_token_on_unsafe_requests(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "root", role=Role.ADMIN)
    csrf = await log_in(client, "root")
    missing = await client.post("/api/v1/users", json=NEW_USER)
    assert missing.status_code == 403
    assert "CSRF" in missing.json()["detail"]
    wrong = await client.post("/api/v1/users", json=NEW_USER, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    assert (await client.delete("/api/v1/tokens/1")).status_code == 403
    assert (await client.patch("/api/v1/me", json={"language": "vi"})).status_code == 403
    right = await client.post("/api/v1/users", json=NEW_USER, headers={"X-CSRF-Token": csrf})
    assert right.status_code == 201
    # Safe methods need no token.
    assert (await client.get("/api/v1/users")).status_code == 200


async def test_the_form_field_is_accepted_too(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "alice")
    csrf = await log_in(client, "alice")
    refused = await client.post("/logout", data={"csrf_token": "nope"})
    assert refused.status_code == 403
    accepted = await client.post("/logout", data={"csrf_token": csrf})
    assert accepted.status_code == 303
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_another_sessions_token_does_not_work(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await make_user(context, "alice")
    other_csrf = await log_in(client, "alice")
    await log_in(client, "alice")
    response = await client.patch(
        "/api/v1/me", json={"language": "vi"}, headers={"X-CSRF-Token": other_csrf}
    )
    assert response.status_code == 403


async def test_bearer_requests_are_exempt(client: httpx.AsyncClient, context: AppContext) -> None:
    await make_user(context, "root", role=Role.ADMIN)
    token = await make_token(context, "root")
    response = await client.post("/api/v1/users", json=NEW_USER, headers=bearer(token))
    assert response.status_code == 201
