from __future__ import annotations

import re

import httpx
import pytest

from garrison.auth.csrf import LOGIN_CSRF_COOKIE
from garrison.auth.page_views import local_path
from garrison.auth.permissions import Role
from garrison.auth.sessions import SESSION_COOKIE
from garrison.clock import ManualClock
from garrison.runtime.context import AppContext
from garrison.web.language import LANGUAGE_COOKIE
from tests.auth.factories import (
    PASSWORD,
    load_user,
    log_in,
    make_user,
    make_user_with_one_time_password,
    totp_code,
)


def _form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def _login_form(client: httpx.AsyncClient, path: str = "/login") -> str:
    page = await client.get(path)
    assert page.status_code == 200
    return _form_token(page.text)


async def test_login_page_round_trip_with_the_double_submit_cookie(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "alice")
    page = await client.get("/login?next=/event")
    assert page.status_code == 200
    assert 'name="username"' in page.text
    assert 'name="totp_code"' in page.text
    assert "<script" not in page.text
    token = _form_token(page.text)
    assert client.cookies[LOGIN_CSRF_COOKIE] == token
    assert "HttpOnly" in page.headers["set-cookie"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    response = await client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "next": "/event", "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/event"
    assert SESSION_COOKIE in client.cookies
    assert (await client.get("/api/v1/me")).status_code == 200
    # Already signed in: the login page sends the browser on.
    again = await client.get("/login?next=/elsewhere")
    assert again.status_code == 303
    assert again.headers["location"] == "/elsewhere"


async def test_login_form_without_the_matching_cookie_is_refused(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "alice")
    token = await _login_form(client)
    client.cookies.delete(LOGIN_CSRF_COOKIE)
    client.cookies.set(LOGIN_CSRF_COOKIE, "forged")
    response = await client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


async def test_failed_login_rerenders_with_the_error(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "alice")
    token = await _login_form(client)
    response = await client.post(
        "/login", data={"username": "alice", "password": "wrong wrong wrong", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "The username or password is incorrect." in response.text
    assert 'value="alice"' in response.text
    assert "wrong wrong wrong" not in response.text


async def test_rate_limited_login_page_says_when_to_retry(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "alice")
    token = await _login_form(client)
    for _ in range(context.settings.login_max_failures_per_account):
        await client.post(
            "/login", data={"username": "alice", "password": "nope nope nope", "csrf_token": token}
        )
    response = await client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "http:/evil",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=y",
        "",
    ],
)
def test_next_never_leaves_the_site(target: str) -> None:
    assert local_path(target) == "/"


def test_local_paths_are_kept() -> None:
    assert local_path("/event?tab=services") == "/event?tab=services"


async def test_login_redirect_ignores_foreign_next(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "alice")
    token = await _login_form(client)
    response = await client.post(
        "/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "next": "//evil.example/",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_language_switch_sets_cookie_and_preference_without_open_redirect(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "alice")
    csrf = await log_in(client, "alice")
    response = await client.post(
        "/language",
        data={"language": "vi", "next": "https://evil.example/", "csrf_token": csrf},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert client.cookies[LANGUAGE_COOKIE] == "vi"
    assert (await load_user(context, "alice")).language == "vi"
    local = await client.post(
        "/language", data={"language": "en", "next": "/event", "csrf_token": csrf}
    )
    assert local.headers["location"] == "/event"
    refused = await client.post("/language", data={"language": "vi", "next": "/"})
    assert refused.status_code == 403


async def test_anonymous_language_switch_uses_the_login_form_token(
    client: httpx.AsyncClient,
) -> None:
    token = await _login_form(client)
    response = await client.post(
        "/language", data={"language": "vi", "next": "/login", "csrf_token": token}
    )
    assert response.status_code == 303
    assert client.cookies[LANGUAGE_COOKIE] == "vi"
    assert (await client.post("/language", data={"language": "vi"})).status_code == 403
    assert (
        await client.post("/language", data={"language": "xx", "csrf_token": token})
    ).status_code == 422


async def test_pages_send_anonymous_browsers_to_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/account/password")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account/password"


async def test_a_script_without_a_session_is_refused_not_sent_to_the_login_form(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    # A page left open after its session ended fetches a fragment or reconnects its
    # stream: following a redirect would load the login form in the background and
    # replace the login token of the form the person is filling in elsewhere.
    token = await _login_form(client, "/login?next=/wallboard")
    for path, mode in (("/wallboard/fragment/incidents", "cors"), ("/console/stream", "cors")):
        response = await client.get(path, headers={"Sec-Fetch-Mode": mode})
        assert response.status_code == 401, path
        assert "set-cookie" not in response.headers
    assert client.cookies[LOGIN_CSRF_COOKIE] == token
    # A page being loaded is still sent to the login form.
    page = await client.get("/wallboard", headers={"Sec-Fetch-Mode": "navigate"})
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/wallboard"
    # So is a signed-in browser whose account must first be finished.
    one_time = await make_user_with_one_time_password(context, "newbie")
    await log_in(client, "newbie", one_time)
    refused = await client.get("/wallboard/fragment/incidents", headers={"Sec-Fetch-Mode": "cors"})
    assert refused.status_code == 403
    sent = await client.get("/wallboard", headers={"Sec-Fetch-Mode": "navigate"})
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("/account/")


async def test_logout_page_ends_the_session(client: httpx.AsyncClient, context: AppContext) -> None:
    await make_user(context, "alice")
    csrf = await log_in(client, "alice")
    response = await client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_first_login_in_the_browser_goes_through_the_password_page(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    one_time = await make_user_with_one_time_password(context, "newbie")
    token = await _login_form(client)
    response = await client.post(
        "/login", data={"username": "newbie", "password": one_time, "csrf_token": token}
    )
    assert response.headers["location"] == "/account/password"
    page = await client.get("/account/password")
    assert page.status_code == 200
    csrf = _form_token(page.text)
    mismatch = await client.post(
        "/account/password",
        data={
            "current_password": one_time,
            "new_password": "a brand new secret",
            "confirm_password": "another secret!!",
            "csrf_token": csrf,
        },
    )
    assert mismatch.status_code == 422
    changed = await client.post(
        "/account/password",
        data={
            "current_password": one_time,
            "new_password": "a brand new secret",
            "confirm_password": "a brand new secret",
            "csrf_token": csrf,
        },
    )
    assert changed.status_code == 303
    assert (await load_user(context, "newbie")).must_change_password is False
    assert (await client.get("/api/v1/event")).status_code != 403


async def test_mandatory_totp_in_the_browser(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    context.settings = context.settings.model_copy(
        update={"totp_required_roles": (Role.COMMANDER,)}
    )
    await make_user(context, "cmd", role=Role.COMMANDER)
    token = await _login_form(client)
    response = await client.post(
        "/login", data={"username": "cmd", "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["location"] == "/account/totp"
    assert (await client.get("/account/password")).status_code == 200
    page = await client.get("/account/totp")
    csrf = _form_token(page.text)
    assert (await client.post("/account/totp/setup", data={"csrf_token": csrf})).status_code == 303
    page = await client.get("/account/totp")
    secret = (await load_user(context, "cmd")).totp_secret
    assert secret is not None
    assert secret in page.text
    wrong = await client.post("/account/totp/confirm", data={"code": "000000", "csrf_token": csrf})
    assert wrong.status_code == 422
    right = await client.post(
        "/account/totp/confirm",
        data={"code": totp_code(secret, clock.now()), "csrf_token": csrf},
    )
    assert right.status_code == 303
    assert (await load_user(context, "cmd")).totp_enabled
