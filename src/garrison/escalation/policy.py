"""Which escalation policy applies to an incident, and the frozen copy it keeps.

Rules are tried in order; a rule matches when each of its non-empty lists names
one of the incident's values (its services, the units operating them, its
category, its severity). No rule matching means the default policy, if any.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from garrison.config import EventConfig
from garrison.config.escalation import EscalationPolicy, EscalationRule


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    services: frozenset[str]
    units: frozenset[str]
    category: str
    severity: str


def incident_facts(
    config: EventConfig, *, services: list[str], category: str, severity: str
) -> IncidentFacts:
    units = {service.unit for service in config.services if service.id in set(services)}
    return IncidentFacts(
        services=frozenset(services),
        units=frozenset(units),
        category=category,
        severity=severity,
    )


def _matches(rule: EscalationRule, facts: IncidentFacts) -> bool:
    if rule.services and not facts.services & set(rule.services):
        return False
    if rule.units and not facts.units & set(rule.units):
        return False
    if rule.categories and facts.category not in {c.value for c in rule.categories}:
        return False
    return not rule.severities or facts.severity in {s.value for s in rule.severities}


def choose_policy(config: EventConfig, facts: IncidentFacts) -> EscalationPolicy | None:
    section = config.escalation
    policies = {policy.id: policy for policy in section.policies}
    for rule in section.rules:
        if _matches(rule, facts) and rule.policy in policies:
            return policies[rule.policy]
    if section.default_policy is not None:
        return policies.get(section.default_policy)
    return None


def freeze(policy: EscalationPolicy) -> dict[str, Any]:
    document: dict[str, Any] = policy.model_dump(mode="json")
    return document


def thaw(document: Mapping[str, Any]) -> EscalationPolicy:
    return EscalationPolicy.model_validate(dict(document))
