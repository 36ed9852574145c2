from __future__ import annotations

import httpx
import pyotp

from garrison.auth.permissions import Role
from garrison.clock import ManualClock
from garrison.runtime.context import AppContext
from tests.auth.factories import (
    PASSWORD,
    audit_actions,
    bearer,
    load_user,
    log_in,
    make_token,
    make_user,
    totp_code,
)


async def _login(client: httpx.AsyncClient, username: str, code: str | None) -> httpx.Response:
    body: dict[str, str] = {"username": username, "password": PASSWORD}
    if code is not None:
        body["totp_code"] = code
    return await client.post("/api/v1/auth/login", json=body)


async def test_setup_then_confirm_turns_totp_on(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    await make_user(context, "alice")
    csrf = await log_in(client, "alice")
    headers = {"X-CSRF-Token": csrf}
    setup = await client.post("/api/v1/me/totp/setup", headers=headers)
    assert setup.status_code == 200
    secret = setup.json()["secret"]
    uri = setup.json()["otpauth_uri"]
    assert uri.startswith("otpauth://totp/")
    assert "issuer=Garrison" in uri
    assert pyotp.parse_uri(uri).secret == secret
    assert (await load_user(context, "alice")).totp_enabled is False
    wrong = await client.post("/api/v1/me/totp/confirm", json={"code": "000000"}, headers=headers)
    assert wrong.status_code == 422
    confirm = await client.post(
        "/api/v1/me/totp/confirm", json={"code": totp_code(secret, clock.now())}, headers=headers
    )
    assert confirm.status_code == 200
    assert confirm.json()["user"]["totp_enabled"] is True
    again = await client.post("/api/v1/me/totp/setup", headers=headers)
    assert again.status_code == 409
    actions = [e.action for e in await audit_actions(context, target_id="alice")]
    assert "user.totp.setup_started" in actions
    assert "user.totp.enrolled" in actions
    everything = " ".join(str(e.before) + str(e.after) for e in await audit_actions(context))
    assert secret not in everything


async def test_login_needs_a_valid_unused_code(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    user = await make_user(context, "alice", totp=True)
    missing = await _login(client, "alice", None)
    assert missing.status_code == 401
    assert "code" in missing.json()["detail"]
    assert (await _login(client, "alice", "123456")).status_code == 401
    code = totp_code(user.totp_secret, clock.now())
    assert (await _login(client, "alice", code)).status_code == 200
    # The same code again, within its validity: refused.
    clock.advance(5)
    replay = await _login(client, "alice", code)
    assert replay.status_code == 401
    # A code of an earlier step is refused once a later one was used.
    previous = totp_code(user.totp_secret, clock.now(), steps_ahead=-1)
    assert (await _login(client, "alice", previous)).status_code == 401
    clock.advance(30)
    assert (
        await _login(client, "alice", totp_code(user.totp_secret, clock.now()))
    ).status_code == 200
    outcomes = [
        e.after["outcome"]
        for e in await audit_actions(context)
        if e.action == "auth.login.failed" and e.after
    ]
    assert outcomes == ["totp_missing", "totp_invalid", "totp_invalid", "totp_invalid"]


async def test_wrong_password_with_right_code_says_nothing_about_the_code(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    user = await make_user(context, "alice", totp=True)
    response = await client.post(
        "/api/v1/auth/login",
        json={
            "username": "alice",
            "password": "not the password",
            "totp_code": totp_code(user.totp_secret, clock.now()),
        },
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "The username or password is incorrect."


async def test_mandatory_totp_limits_the_session_until_enrolled(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    context.settings = context.settings.model_copy(update={"totp_required_roles": (Role.LEADER,)})
    await make_user(context, "lena", role=Role.LEADER)
    response = await client.post(
        "/api/v1/auth/login", json={"username": "lena", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["restriction"] == "totp_enrollment_required"
    headers = {"X-CSRF-Token": response.json()["csrf_token"]}
    refused = await client.get("/api/v1/users")
    assert refused.status_code == 403
    assert "two-factor" in refused.json()["detail"]
    assert (await client.get("/api/v1/event")).status_code == 403
    assert (
        await client.patch("/api/v1/me", json={"language": "vi"}, headers=headers)
    ).status_code == 403
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["permissions"] == []
    secret = (await client.post("/api/v1/me/totp/setup", headers=headers)).json()["secret"]
    confirmed = await client.post(
        "/api/v1/me/totp/confirm", json={"code": totp_code(secret, clock.now())}, headers=headers
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["restriction"] is None
    assert (await client.get("/api/v1/users")).status_code == 200
    logout = await client.post("/api/v1/auth/logout", headers=headers)
    assert logout.status_code == 204


async def test_mandatory_totp_also_limits_tokens(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await make_user(context, "lena", role=Role.LEADER)
    token = await make_token(context, "lena")
    assert (await client.get("/api/v1/users", headers=bearer(token))).status_code == 200
    context.settings = context.settings.model_copy(update={"totp_required_roles": (Role.LEADER,)})
    assert (await client.get("/api/v1/users", headers=bearer(token))).status_code == 403


async def test_admin_reset_lets_the_user_log_in_without_a_code(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "root", role=Role.ADMIN)
    await make_user(context, "alice", totp=True)
    token = await make_token(context, "root")
    reset = await client.post("/api/v1/users/alice/totp-reset", headers=bearer(token))
    assert reset.status_code == 200
    assert reset.json()["totp_enabled"] is False
    assert (await _login(client, "alice", None)).status_code == 200
    assert "user.totp.reset" in [e.action for e in await audit_actions(context, target_id="alice")]
