"""The `escalation` section: who is paged for an incident, in which order, and how long each
level has to acknowledge before the next one is paged.

A policy is an ordered list of steps. Each step notifies its targets, then waits
``wait_minutes`` for an acknowledgement before the next step; after the last step
the whole policy runs again, ``repeat`` times in all. Rules pick the policy of an
incident by its services, their units, its category and severity; the first rule
that matches wins, else ``default_policy``. References to posts, people and units
are checked in :mod:`garrison.config.escalation_consistency`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from garrison.auth.permissions import Role
from garrison.config.fields import Identifier, Name
from garrison.config.models_base import FrozenModel
from garrison.incidents.vocabulary import Category, Severity

MAX_POLICIES = 200
MAX_STEPS = 20
MAX_TARGETS_PER_STEP = 50
MAX_RULES = 500
MAX_REPEAT = 10


class OnDutyTarget(FrozenModel):
    """Whoever is on duty at a post when the step fires."""

    kind: Literal["on_duty"]
    post: Identifier


class PersonTarget(FrozenModel):
    kind: Literal["person"]
    person: Identifier


class RoleTarget(FrozenModel):
    """Every person of ``unit`` with ``role``."""

    kind: Literal["role"]
    role: Role
    unit: Identifier


class CommanderTarget(FrozenModel):
    """The incident's commander, when one is assigned."""

    kind: Literal["commander"]


class UnitLeaderTarget(FrozenModel):
    """The leader of ``unit``; without ``unit``, of the unit operating the incident's services."""

    kind: Literal["unit_leader"]
    unit: Identifier | None = None


EscalationTarget = Annotated[
    OnDutyTarget | PersonTarget | RoleTarget | CommanderTarget | UnitLeaderTarget,
    Field(discriminator="kind"),
]


class EscalationStep(FrozenModel):
    targets: tuple[EscalationTarget, ...] = Field(min_length=1, max_length=MAX_TARGETS_PER_STEP)
    wait_minutes: float = Field(
        gt=0,
        le=1440,
        description="Minutes to wait for an acknowledgement before the next step.",
    )


class EscalationPolicy(FrozenModel):
    id: Identifier
    name: Name
    steps: tuple[EscalationStep, ...] = Field(min_length=1, max_length=MAX_STEPS)
    repeat: int = Field(
        default=1,
        ge=1,
        le=MAX_REPEAT,
        description="How many times the whole policy runs when nobody acknowledges.",
    )


class EscalationRule(FrozenModel):
    """An incident matches when every non-empty list names one of its values."""

    policy: Identifier
    services: tuple[Identifier, ...] = Field(default=(), max_length=500)
    units: tuple[Identifier, ...] = Field(
        default=(), max_length=100, description="Units operating one of the incident's services."
    )
    categories: tuple[Category, ...] = Field(default=(), max_length=20)
    severities: tuple[Severity, ...] = Field(default=(), max_length=4)


class EscalationSection(FrozenModel):
    policies: tuple[EscalationPolicy, ...] = Field(default=(), max_length=MAX_POLICIES)
    rules: tuple[EscalationRule, ...] = Field(default=(), max_length=MAX_RULES)
    default_policy: Identifier | None = Field(
        default=None, description="The policy of incidents no rule matches; none: not paged."
    )
    directive_escalation_minutes: float = Field(
        default=30,
        gt=0,
        le=10_080,
        description="A directive unfinished at its deadline is reminded to its receiver, then "
        "this many minutes later reported to its issuer.",
    )
