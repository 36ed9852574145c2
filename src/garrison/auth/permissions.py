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
    TOKEN_MANAGE_OWN = "token:manage_own"  # noqa: S105 - a permission name, not a secret
    TOKEN_MANAGE_ALL = "token:manage_all"  # noqa: S105 - a permission name, not a secret
    AUDIT_READ = "audit:read"
    METRICS_READ = "metrics:read"
    # Probes: watching the event's services.
    CHECK_READ = "check:read"
    CHECK_OPERATE = "check:operate"
    BASELINE_APPROVE = "baseline:approve"
    MAINTENANCE_MANAGE = "maintenance:manage"
    # Detection: security events and alerts.
    DETECTION_READ = "detection:read"
    EVENTS_SEARCH = "events:search"
    INGEST_WRITE = "ingest:write"
    # Incidents, directives and duty.
    INCIDENT_READ = "incident:read"
    INCIDENT_RESPOND = "incident:respond"
    INCIDENT_MANAGE = "incident:manage"
    INCIDENT_ESCALATE = "incident:escalate"
    INTEGRATION_MANAGE = "integration:manage"
    DIRECTIVE_READ = "directive:read"
    DIRECTIVE_ISSUE = "directive:issue"
    DUTY_READ = "duty:read"
    DUTY_MANAGE = "duty:manage"
    DUTY_SERVE = "duty:serve"
    # Readiness, drills and reports.
    READINESS_READ = "readiness:read"
    READINESS_MANAGE = "readiness:manage"
    DRILL_MANAGE = "drill:manage"
    REPORT_READ = "report:read"


ROLE_LABELS: dict[Role, LazyString] = {
    Role.ADMIN: _l("Administrator"),
    Role.LEADER: _l("Leader"),
    Role.COMMANDER: _l("Shift commander"),
    Role.DUTY_OFFICER: _l("Duty officer"),
    Role.ENGINEER: _l("Engineer"),
    Role.ANALYST: _l("Security analyst"),
    Role.OBSERVER: _l("Observer"),
}

_EVERYONE = frozenset(
    {
        Permission.EVENT_READ,
        Permission.TOKEN_MANAGE_OWN,
        Permission.CHECK_READ,
        Permission.INCIDENT_READ,
        Permission.DIRECTIVE_READ,
        Permission.DUTY_READ,
        Permission.READINESS_READ,
    }
)
# People who stand watch at a post: they check in, hand over and answer incidents.
_ON_DUTY = _EVERYONE | {
    Permission.DUTY_SERVE,
    Permission.INCIDENT_RESPOND,
    # Paging the next level of the escalation policy at once ("escalate now").
    Permission.INCIDENT_ESCALATE,
    Permission.DETECTION_READ,
    Permission.REPORT_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.LEADER: _EVERYONE
    | {
        Permission.AUDIT_READ,
        Permission.USER_READ,
        Permission.DETECTION_READ,
        Permission.DIRECTIVE_ISSUE,
        # The last escalation step reaches the unit's leader, who must be able to acknowledge.
        Permission.INCIDENT_RESPOND,
        Permission.INCIDENT_ESCALATE,
        Permission.INCIDENT_MANAGE,
        Permission.REPORT_READ,
    },
    Role.COMMANDER: _ON_DUTY
    | {
        Permission.USER_READ,
        Permission.CHECK_OPERATE,
        Permission.MAINTENANCE_MANAGE,
        Permission.INCIDENT_MANAGE,
        Permission.DIRECTIVE_ISSUE,
        Permission.DUTY_MANAGE,
        Permission.READINESS_MANAGE,
        Permission.DRILL_MANAGE,
    },
    Role.DUTY_OFFICER: _ON_DUTY | {Permission.CHECK_OPERATE},
    Role.ENGINEER: _ON_DUTY
    | {
        Permission.METRICS_READ,
        Permission.CHECK_OPERATE,
        Permission.BASELINE_APPROVE,
        Permission.MAINTENANCE_MANAGE,
    },
    Role.ANALYST: _ON_DUTY | {Permission.EVENTS_SEARCH, Permission.INGEST_WRITE},
    Role.OBSERVER: _EVERYONE,
}


def permissions_for(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]


def role_allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
