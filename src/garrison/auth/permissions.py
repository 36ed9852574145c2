"""Roles and the permission matrix: the one place that says who may do what."""

from __future__ import annotations

from enum import StrEnum

from garrison.i18n import lazy_gettext as _l
from garrison.i18n.translations import LazyString


class Role(StrEnum):
    ADMIN = "admin"
    LEADER = "leader"
    COMMANDER = "commander"
    DUTY_OFFICER = "duty_officer"
    ENGINEER = "engineer"
    ANALYST = "analyst"
    OBSERVER = "observer"


class Permission(StrEnum):
    EVENT_READ = "event:read"
    CONFIG_SYNC = "config:sync"
    USER_READ = "user:read"
    USER_MANAGE = "user:manage"
    TOKEN_MANAGE_OWN = "token:manage_own"  # noqa: S105 (a permission name)
    TOKEN_MANAGE_ALL = "token:manage_all"  # noqa: S105 (a permission name)
    AUDIT_READ = "audit:read"
    METRICS_READ = "metrics:read"


ROLE_LABELS: dict[Role, LazyString] = {
    Role.ADMIN: _l("Administrator"),
    Role.LEADER: _l("Leader"),
    Role.COMMANDER: _l("Shift commander"),
    Role.DUTY_OFFICER: _l("Duty officer"),
    Role.ENGINEER: _l("Engineer"),
    Role.ANALYST: _l("Security analyst"),
    Role.OBSERVER: _l("Observer"),
}

_EVERYONE = frozenset({Permission.EVENT_READ, Permission.TOKEN_MANAGE_OWN})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.LEADER: _EVERYONE | {Permission.AUDIT_READ, Permission.USER_READ},
    Role.COMMANDER: _EVERYONE | {Permission.USER_READ},
    Role.DUTY_OFFICER: _EVERYONE,
    Role.ENGINEER: _EVERYONE | {Permission.METRICS_READ},
    Role.ANALYST: _EVERYONE,
    Role.OBSERVER: _EVERYONE,
}


def permissions_for(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]


def role_allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
