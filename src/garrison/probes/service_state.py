"""From check states to service states: a pure function, the rules in one place.

For every service, in this order (docs/probes.md has the table):

1. **Own checks.** Paused checks and checks in a maintenance window do not count;
   UNKNOWN ones are ignored. No check left with a known state → UNKNOWN. Every
   counted check DOWN → DOWN. Some DOWN or FLAPPING → DEGRADED. Otherwise UP.
2. **Dependencies.** A dependency *blocks* when it is DOWN or UNREACHABLE — for a
   dependency in a redundancy group: when *every* member of the group is. A
   blocked service whose own checks say DOWN or UNKNOWN is UNREACHABLE, with
   ``caused_by`` the root cause (the first blocking dependency, followed down to
   the service actually DOWN): no alert of its own, its downtime is the parent's.
   A blocked service whose checks still pass keeps its state: it serves.
3. **Redundancy.** In a group where some members are DOWN or UNREACHABLE and
   others still serve (UP or DEGRADED), the serving members are DEGRADED ("on
   backup, margin lost"); the lost ones keep DOWN and alert. Dependents of the
   group stay reachable as long as one member serves (rule 2).
4. **Maintenance.** A service in a window — or whose every check is — is shown
   MAINTENANCE (``in_maintenance``); ``measured`` keeps what the checks say, and
   rules 2 and 3 use the measured states, so a service whose parent is down for
   planned work is UNREACHABLE, not an alert.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from garrison.i18n import gettext as _
from garrison.probes.states import CheckState, ServiceState

_LOST = (ServiceState.DOWN, ServiceState.UNREACHABLE)
_SERVING = (ServiceState.UP, ServiceState.DEGRADED)


@dataclass(frozen=True, slots=True)
class ServiceInput:
    id: str
    checks: Mapping[str, CheckState] = field(default_factory=dict)
    checks_in_maintenance: frozenset[str] = frozenset()
    in_maintenance: bool = False
    depends_on: tuple[str, ...] = ()
    group: str | None = None
    primary: bool = False


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    state: ServiceState
    measured: ServiceState
    reason: str
    caused_by: str | None = None
    in_maintenance: bool = False


def evaluate_services(services: Sequence[ServiceInput]) -> dict[str, ServiceStatus]:
    by_id = {service.id: service for service in services}
    groups: dict[str, list[str]] = {}
    for service in services:
        if service.group is not None:
            groups.setdefault(service.group, []).append(service.id)
    statuses: dict[str, ServiceStatus] = {}
    for service_id in _evaluation_order(by_id, groups):
        service = by_id[service_id]
        own = _from_checks(service)
        statuses[service_id] = _apply_dependencies(service, own, statuses, by_id, groups)
    for members in groups.values():
        _apply_redundancy(members, statuses)
    return {service.id: _apply_maintenance(service, statuses[service.id]) for service in services}


def _from_checks(service: ServiceInput) -> ServiceStatus:
    # Under maintenance as a whole, every check still measures the service.
    skipped = frozenset() if _whole_maintenance(service) else service.checks_in_maintenance
    counted = {
        check_id: state
        for check_id, state in service.checks.items()
        if state != CheckState.PAUSED and check_id not in skipped
    }
    known = {check_id: state for check_id, state in counted.items() if state != CheckState.UNKNOWN}
    if not known:
        reason = _("no confirmed check result") if counted else _("no active check")
        return ServiceStatus(ServiceState.UNKNOWN, ServiceState.UNKNOWN, reason)
    down = sorted(check_id for check_id, state in known.items() if state == CheckState.DOWN)
    flapping = sorted(check_id for check_id, state in known.items() if state == CheckState.FLAPPING)
    if len(down) == len(known):
        reason = _("every check is down: %(checks)s") % {"checks": ", ".join(down)}
        return ServiceStatus(ServiceState.DOWN, ServiceState.DOWN, reason)
    if down or flapping:
        parts = []
        if down:
            parts.append(_("down: %(checks)s") % {"checks": ", ".join(down)})
        if flapping:
            parts.append(_("flapping: %(checks)s") % {"checks": ", ".join(flapping)})
        return ServiceStatus(ServiceState.DEGRADED, ServiceState.DEGRADED, "; ".join(parts))
    return ServiceStatus(ServiceState.UP, ServiceState.UP, _("every check passes"))


def _apply_dependencies(
    service: ServiceInput,
    own: ServiceStatus,
    statuses: Mapping[str, ServiceStatus],
    by_id: Mapping[str, ServiceInput],
    groups: Mapping[str, list[str]],
) -> ServiceStatus:
    if own.state in _SERVING:
        return own
    for dependency in service.depends_on:
        root = _blocking_root(dependency, statuses, by_id, groups)
        if root is None:
            continue
        reason = _("%(dependency)s is unavailable (root cause: %(root)s)") % {
            "dependency": dependency,
            "root": root,
        }
        return ServiceStatus(ServiceState.UNREACHABLE, ServiceState.UNREACHABLE, reason, root)
    return own


def _blocking_root(
    dependency: str,
    statuses: Mapping[str, ServiceStatus],
    by_id: Mapping[str, ServiceInput],
    groups: Mapping[str, list[str]],
) -> str | None:
    target = by_id.get(dependency)
    if target is None:
        return None
    members = groups[target.group] if target.group is not None else [dependency]
    member_statuses = [(member, statuses.get(member)) for member in members]
    if not all(status is not None and status.state in _LOST for _m, status in member_statuses):
        return None
    # Whole group lost: blame the primary when there is one, else the named dependency.
    primaries = [member for member in members if by_id[member].primary]
    blamed = primaries[0] if primaries else dependency
    status = statuses[blamed]
    if status.state == ServiceState.UNREACHABLE and status.caused_by is not None:
        return status.caused_by
    return blamed


def _apply_redundancy(members: Sequence[str], statuses: dict[str, ServiceStatus]) -> None:
    lost = [member for member in members if statuses[member].state in _LOST]
    serving = [member for member in members if statuses[member].state in _SERVING]
    if not lost or not serving:
        return
    for member in serving:
        status = statuses[member]
        reason = _("redundancy lost: %(lost)s unavailable, %(serving)d of %(total)d serving") % {
            "lost": ", ".join(lost),
            "serving": len(serving),
            "total": len(members),
        }
        if status.state == ServiceState.DEGRADED:
            reason = f"{status.reason}; {reason}"
        statuses[member] = replace(
            status, state=ServiceState.DEGRADED, measured=ServiceState.DEGRADED, reason=reason
        )


def _whole_maintenance(service: ServiceInput) -> bool:
    active = [c for c, state in service.checks.items() if state != CheckState.PAUSED]
    return service.in_maintenance or (
        bool(active) and all(check in service.checks_in_maintenance for check in active)
    )


def _apply_maintenance(service: ServiceInput, status: ServiceStatus) -> ServiceStatus:
    if not _whole_maintenance(service):
        return status
    return ServiceStatus(
        state=ServiceState.MAINTENANCE,
        measured=status.measured,
        reason=_("in a maintenance window"),
        caused_by=None,
        in_maintenance=True,
    )


def _evaluation_order(
    by_id: Mapping[str, ServiceInput], groups: Mapping[str, list[str]]
) -> list[str]:
    """Dependencies first; a dependency on a group member waits for the whole group."""

    def needs(service_id: str) -> Iterator[str]:
        for dependency in by_id[service_id].depends_on:
            target = by_id.get(dependency)
            if target is None:
                continue
            yield from groups[target.group] if target.group is not None else (dependency,)

    order: list[str] = []
    state: dict[str, str] = {}
    for start in by_id:
        if start in state:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, needs(start))]
        state[start] = "active"
        while stack:
            node, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                stack.pop()
                state[node] = "done"
                order.append(node)
            elif step not in state:
                # A cycle (only possible through group expansion) is cut where it closes.
                state[step] = "active"
                stack.append((step, needs(step)))
    return order
