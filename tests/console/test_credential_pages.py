"""API tokens and integration keys in the console: shown once, scoped, revocable."""

from __future__ import annotations

import re

import httpx

from garrison.auth import tokens
from garrison.auth.permissions import Role
from garrison.runtime.context import AppContext
from tests.console.factories import browser_login

SECRET = re.compile(r'<code class="secret">([^<]+)</code>')


async def test_a_user_creates_uses_and_revokes_an_own_token(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "minh", Role.ENGINEER)
    form = {"name": "ci", "expires_in_days": "30", "scopes": ["check:read", "event:read"]}
    assert (await client.post("/tokens", data=form)).status_code == 403  # no CSRF token
    created = await client.post("/tokens", data={**form, "csrf_token": csrf})
    assert created.status_code == 200, created.text
    assert created.headers["cache-control"] == "no-store"
    found = SECRET.search(created.text)
    assert found is not None
    secret = found.group(1)
    assert secret.startswith("gar_")
    listing = await client.get("/tokens")
    assert "ci" in listing.text
    assert secret not in listing.text
    async with context.sessions() as session:
        active = await tokens.find_active_token(session, secret=secret, now=context.clock.now())
        assert active is not None
        assert sorted(active[0].scopes) == ["check:read", "event:read"]
    token_id = re.search(r'action="/tokens/(\d+)/revoke"', listing.text)
    assert token_id is not None
    revoked = await client.post(f"/tokens/{token_id.group(1)}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    after = await client.get("/tokens")
    assert "Revoked" in after.text
    assert f'action="/tokens/{token_id.group(1)}/revoke"' not in after.text
    async with context.sessions() as session:
        assert (
            await tokens.find_active_token(session, secret=secret, now=context.clock.now()) is None
        )


async def test_a_token_cannot_exceed_its_owner_and_bad_input_names_the_field(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "olga", Role.OBSERVER)
    page = await client.get("/tokens")
    assert 'value="user:manage"' not in page.text
    beyond = await client.post(
        "/tokens",
        data={"csrf_token": csrf, "name": "x", "expires_in_days": "7", "scopes": "user:manage"},
    )
    assert beyond.status_code == 403
    assert 'role="alert"' in beyond.text
    unknown = await client.post(
        "/tokens",
        data={"csrf_token": csrf, "name": "x", "expires_in_days": "7", "scopes": "king:rule"},
    )
    assert unknown.status_code == 422
    assert "scopes:" in unknown.text
    too_long = await client.post(
        "/tokens",
        data={"csrf_token": csrf, "name": "x", "expires_in_days": "400", "scopes": "event:read"},
    )
    assert too_long.status_code == 422


async def test_only_token_manage_all_sees_and_revokes_other_users_tokens(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "minh", Role.ENGINEER)
    await client.post(
        "/tokens",
        data={"csrf_token": csrf, "name": "minh-ci", "expires_in_days": "7",
              "scopes": "event:read"},
    )  # fmt: skip
    listing = await client.get("/tokens")
    found = re.search(r'action="/tokens/(\d+)/revoke"', listing.text)
    assert found is not None
    token_id = found.group(1)
    await client.post("/logout", data={"csrf_token": csrf})
    client.cookies.clear()
    csrf = await browser_login(context, client, "olga", Role.OBSERVER)
    assert "minh-ci" not in (await client.get("/tokens")).text
    other = await client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert other.status_code == 404
    client.cookies.clear()
    csrf = await browser_login(context, client, "root-admin", Role.ADMIN)
    every = await client.get("/tokens")
    assert "minh-ci" in every.text
    assert "minh" in every.text
    assert (
        await client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    ).status_code == 303
    audit = await client.get("/admin/audit")
    assert "token.created" in audit.text
    assert "token.revoked" in audit.text


async def test_an_admin_manages_integrations_and_sees_each_key_once(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "root-admin", Role.ADMIN)
    form = {"id": "alerts", "name": "Alertmanager", "kind": "alertmanager"}
    assert (await client.post("/admin/integrations", data=form)).status_code == 403
    created = await client.post("/admin/integrations", data={**form, "csrf_token": csrf})
    assert created.status_code == 200, created.text
    assert created.headers["cache-control"] == "no-store"
    found = SECRET.search(created.text)
    assert found is not None
    key = found.group(1)
    assert len(key) == 32
    listing = await client.get("/admin/integrations")
    assert "alerts" in listing.text
    assert key not in listing.text
    assert key[:6] in listing.text
    duplicate = await client.post("/admin/integrations", data={**form, "csrf_token": csrf})
    assert duplicate.status_code == 409
    bad_id = await client.post(
        "/admin/integrations", data={**form, "id": "Bad Id", "csrf_token": csrf}
    )
    assert bad_id.status_code == 422
    assert "id:" in bad_id.text
    bad_kind = await client.post(
        "/admin/integrations", data={**form, "id": "other", "kind": "carrier-pigeon",
                                     "csrf_token": csrf},
    )  # fmt: skip
    assert bad_kind.status_code == 422
    assert "kind:" in bad_kind.text
    rotated = await client.post("/admin/integrations/alerts/rotate", data={"csrf_token": csrf})
    assert rotated.status_code == 200
    assert rotated.headers["cache-control"] == "no-store"
    new_key = SECRET.search(rotated.text)
    assert new_key is not None
    assert new_key.group(1) != key
    disabled = await client.post("/admin/integrations/alerts/disable", data={"csrf_token": csrf})
    assert disabled.status_code == 303
    assert "Disabled" in (await client.get("/admin/integrations")).text
    missing = await client.post("/admin/integrations/nothing/disable", data={"csrf_token": csrf})
    assert missing.status_code == 404
    audit = await client.get("/admin/audit")
    for action in ("integration.created", "integration.key_rotated", "integration.disabled"):
        assert action in audit.text, action


async def test_without_integration_manage_the_integration_page_is_refused(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "cmd", Role.COMMANDER)
    assert (await client.get("/admin/integrations")).status_code == 403
    refused = await client.post(
        "/admin/integrations",
        data={"csrf_token": csrf, "id": "x", "name": "x", "kind": "webhook"},
    )
    assert refused.status_code == 403
    assert "/admin/integrations" not in (await client.get("/incidents")).text


async def test_anonymous_browsers_are_sent_to_log_in_from_credential_pages(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/tokens", "/admin/integrations"):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path
