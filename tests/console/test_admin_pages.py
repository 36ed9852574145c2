"""Administration pages: users with one-time passwords shown once, and the audit log."""

from __future__ import annotations

import re

import httpx

from garrison.auth import users
from garrison.auth.permissions import Role
from garrison.runtime.context import AppContext
from tests.console.factories import browser_login

SECRET = re.compile(r'<code class="secret">([^<]+)</code>')


async def test_an_admin_adds_a_user_and_sees_the_one_time_password_once(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "root-admin", Role.ADMIN)
    refused = await client.post("/admin/users", data={"username": "vyvy", "role": "engineer"})
    assert refused.status_code == 403
    added = await client.post(
        "/admin/users", data={"csrf_token": csrf, "username": "vyvy", "role": "engineer"}
    )
    assert added.status_code == 200, added.text
    assert added.headers["cache-control"] == "no-store"
    found = SECRET.search(added.text)
    assert found is not None
    one_time_password = found.group(1)
    listing = await client.get("/admin/users")
    assert "vyvy" in listing.text
    assert one_time_password not in listing.text
    duplicate = await client.post(
        "/admin/users", data={"csrf_token": csrf, "username": "vyvy", "role": "engineer"}
    )
    assert duplicate.status_code == 409
    assert 'role="alert"' in duplicate.text
    unknown = await client.post(
        "/admin/users", data={"csrf_token": csrf, "username": "vovo", "role": "king"}
    )
    assert unknown.status_code == 422
    assert "role:" in unknown.text


async def test_an_admin_changes_role_disables_enables_and_resets_a_password(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "root-admin", Role.ADMIN)
    await client.post(
        "/admin/users", data={"csrf_token": csrf, "username": "vyvy", "role": "observer"}
    )
    role = await client.post("/admin/users/vyvy/role", data={"csrf_token": csrf, "role": "analyst"})
    assert role.status_code == 303
    off = await client.post(
        "/admin/users/vyvy/access", data={"csrf_token": csrf, "disabled": "true"}
    )
    assert off.status_code == 303
    async with context.sessions() as session:
        user = await users.get_user(session, username="vyvy")
        assert (user.role, user.disabled) == ("analyst", True)
    on = await client.post(
        "/admin/users/vyvy/access", data={"csrf_token": csrf, "disabled": "false"}
    )
    assert on.status_code == 303
    reset = await client.post("/admin/users/vyvy/password", data={"csrf_token": csrf})
    assert reset.status_code == 200
    assert SECRET.search(reset.text) is not None
    async with context.sessions() as session:
        user = await users.get_user(session, username="vyvy")
        assert (user.disabled, user.must_change_password) == (False, True)
    # The last administrator cannot demote themselves.
    last = await client.post(
        "/admin/users/root-admin/role", data={"csrf_token": csrf, "role": "observer"}
    )
    assert last.status_code == 409
    assert (
        await client.post("/admin/users/nobody/role", data={"csrf_token": csrf, "role": "observer"})
    ).status_code == 404
    audit = await client.get("/admin/audit")
    assert audit.status_code == 200
    for action in (
        "user.created",
        "user.updated",
        "user.disabled",
        "user.enabled",
        "user.password.reset",
    ):
        assert action in audit.text, action
    assert "The chain verifies" in audit.text


async def test_a_leader_reads_users_and_audit_but_manages_nothing(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "lead", Role.LEADER)
    page = await client.get("/admin/users")
    assert page.status_code == 200
    assert "/admin/users/lead/password" not in page.text
    assert 'action="/admin/users"' not in page.text
    response = await client.post(
        "/admin/users", data={"csrf_token": csrf, "username": "xuan", "role": "observer"}
    )
    assert response.status_code == 403
    assert (await client.get("/admin/audit")).status_code == 200


async def test_an_engineer_sees_no_admin_page(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await browser_login(context, client, "minh", Role.ENGINEER)
    assert (await client.get("/admin/users")).status_code == 403
    assert (await client.get("/admin/audit")).status_code == 403
    assert "/admin/" not in (await client.get("/incidents")).text


async def test_anonymous_browsers_are_sent_to_log_in_from_the_new_pages(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/services", "/services/portal", "/security", "/security/events",
                 "/security/detections/a1", "/admin/users", "/admin/audit"):  # fmt: skip
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path
