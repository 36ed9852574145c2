"""Every route of the real app, for every role: 403 exactly when the role lacks the permission.

A route either declares its permission with ``require(...)`` (found by walking its
dependencies for PermissionRequirement instances), or is listed below on purpose.
A new route that does neither fails this test until someone decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from garrison.auth.dependencies import PermissionRequirement
from garrison.auth.permissions import Permission, Role, permissions_for
from garrison.runtime.context import AppContext
from garrison.web.app import create_app
from tests.auth.factories import bearer, make_token, make_user

# Anyone may call these, signed in or not.
PUBLIC = {
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/api/v1/auth/login"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/language"),
    # Incident integrations authenticate by integration key, not by user (401 for a bad key).
    ("POST", "/api/v1/integrations/alertmanager"),
    ("POST", "/api/v1/integrations/webhook"),
    ("POST", "/v2/enqueue"),
    # A heartbeat URL: the secret token in the path is the credential (404 when wrong).
    ("GET", "/api/v1/heartbeat/{check_id}/{token}"),
    ("POST", "/api/v1/heartbeat/{check_id}/{token}"),
    # The signed one-click acknowledgement link of a notification: the link is the credential.
    ("GET", "/ack/{token}"),
    ("POST", "/ack/{token}"),
}
# Any signed-in user: their own account, and the first page after login.
SIGNED_IN_ONLY = {
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/me"),
    ("PATCH", "/api/v1/me"),
    ("POST", "/api/v1/me/password"),
    ("POST", "/api/v1/me/totp/setup"),
    ("POST", "/api/v1/me/totp/confirm"),
    ("GET", "/"),
    ("GET", "/account/password"),
    ("POST", "/account/password"),
    ("GET", "/account/totp"),
    ("POST", "/account/totp/setup"),
    ("POST", "/account/totp/confirm"),
}
# Routes that check a permission in their body (``/metrics`` may be made public by a setting).
CHECKED_INSIDE = {("GET", "/metrics"): Permission.METRICS_READ}

MACHINE_ENDPOINTS = {"/metrics", "/healthz", "/readyz"}
PATH_VALUES = {"username": "nobody-here", "kind": "sites", "token_id": "999999"}


@dataclass(frozen=True, slots=True)
class RouteCase:
    method: str
    path: str
    required: frozenset[Permission]

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def url(self) -> str:
        return re.sub(
            r"\{(\w+)(:\w+)?\}", lambda m: PATH_VALUES.get(m.group(1), "999999"), self.path
        )

    @property
    def is_page(self) -> bool:
        return not self.path.startswith("/api/") and self.path not in MACHINE_ENDPOINTS


def _required_permissions(dependant: Dependant | None) -> set[Permission]:
    if dependant is None:
        return set()
    found: set[Permission] = set()
    for sub in dependant.dependencies:
        if isinstance(sub.call, PermissionRequirement):
            found.add(sub.call.permission)
        found |= _required_permissions(sub)
    return found


def route_cases(app: FastAPI) -> list[RouteCase]:
    cases: list[RouteCase] = []
    for route in iter_route_contexts(app.routes):
        path = route.path
        if path is None or path.startswith("/static"):
            continue
        dependant = getattr(route, "dependant", None)
        required = frozenset(_required_permissions(dependant))
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                cases.append(RouteCase(method=method, path=path, required=required))
    return cases


async def _request(
    client: httpx.AsyncClient, case: RouteCase, headers: dict[str, str] | None = None
) -> httpx.Response:
    body: dict[str, str] | None = {} if case.method in {"POST", "PUT", "PATCH"} else None
    return await client.request(case.method, case.url, json=body, headers=headers)


async def test_every_route_declares_its_permission_or_is_listed(context: AppContext) -> None:
    cases = route_cases(create_app(context))
    keys = {case.key for case in cases}
    undeclared = [
        case.key
        for case in cases
        if not case.required
        and case.key not in PUBLIC | SIGNED_IN_ONLY
        and case.key not in CHECKED_INSIDE
    ]
    assert undeclared == [], "routes without require(...) and not in an allowlist"
    listed = PUBLIC | SIGNED_IN_ONLY | set(CHECKED_INSIDE)
    assert listed - keys == set(), "allowlisted routes that no longer exist"
    assert [c.key for c in cases if c.required and c.key in listed] == []


async def test_anonymous_callers_are_turned_away_from_every_non_public_route(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    for case in route_cases(create_app(context)):
        response = await _request(client, case)
        if case.key in PUBLIC:
            # Public forms may still refuse a request without their CSRF token (403).
            assert response.status_code != 401, case
        elif case.is_page:
            assert response.status_code == 303, case
            assert response.headers["location"].startswith("/login?next="), case
        else:
            assert response.status_code == 401, (case, response.text)


async def test_every_role_gets_403_exactly_where_it_lacks_the_permission(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    cases = [c for c in route_cases(create_app(context)) if c.key not in PUBLIC]
    assert len(cases) > 20
    problems: list[str] = []
    for role in Role:
        username = f"matrix-{role.value.replace('_', '-')}"
        await make_user(context, username, role=role)
        token = await make_token(context, username, scopes=permissions_for(role))
        granted = permissions_for(role)
        for case in cases:
            required = case.required | (
                {CHECKED_INSIDE[case.key]} if case.key in CHECKED_INSIDE else set()
            )
            response = await _request(client, case, bearer(token))
            expect_denied = not required <= granted
            if response.status_code == 401:
                problems.append(f"{role} {case.method} {case.path}: 401 with a valid token")
            elif (response.status_code == 403) != expect_denied:
                problems.append(
                    f"{role} {case.method} {case.path}: {response.status_code}, "
                    f"needs {sorted(required)}: {response.text[:120]}"
                )
    assert problems == []
