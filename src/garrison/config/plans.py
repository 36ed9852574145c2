"""The `readiness` and `reports` sections: plans per scenario with their runbooks,
inspection checklists, drill plans, reminders, and where and when reports go.

A plan (phương án) has a trigger (services, alert sources, categories), a default
severity, the responsible unit, priorities (services that must keep running first)
and a runbook of ordered steps. Plans edited through the API are stored in the
database and win over this file until the plan changes here (see
``garrison.readiness.plans``). References are checked in :func:`plans_problems`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import Field

from garrison.config.fields import Identifier, Name, Text
from garrison.config.models_base import FrozenModel
from garrison.config.positions import Loc
from garrison.incidents.vocabulary import Category, Severity

MAX_PLANS = 200
MAX_STEPS = 100
MAX_ITEMS = 200
MAX_INJECTS = 2000
MAX_AUTH_FAILURES = 1000
MAX_EVENT_FIELDS = 200

Problem = tuple[Loc, str]
_Quote = Callable[[Loc, str], str]
Minutes = Annotated[float, Field(gt=0, le=60 * 24 * 30, description="Minutes.")]


class RunbookStep(FrozenModel):
    title: Name
    owner_role: Name = Field(description="Who does it, e.g. 'network engineer on duty'.")
    expected_minutes: Minutes = 5


class PlanTrigger(FrozenModel):
    """Any match triggers: an incident on one of ``services``, from one of ``sources``
    (``probes``, ``detection``, ``integration:<id>``) or of one of ``categories``."""

    services: tuple[Identifier, ...] = Field(default=(), max_length=MAX_ITEMS)
    sources: tuple[Annotated[str, Field(max_length=80)], ...] = Field(
        default=(), max_length=MAX_ITEMS
    )
    categories: tuple[Category, ...] = ()


class Plan(FrozenModel):
    id: Identifier
    name: Name
    trigger: PlanTrigger = PlanTrigger()
    severity: Severity = Severity.SEV3
    unit: Identifier | None = Field(default=None, description="The responsible unit.")
    priorities: tuple[Identifier, ...] = Field(
        default=(), max_length=MAX_ITEMS, description="Services to keep running first, in order."
    )
    description: Text = ""
    runbook: tuple[RunbookStep, ...] = Field(default=(), max_length=MAX_STEPS)


class InspectionChecklist(FrozenModel):
    id: Identifier
    name: Name
    items: tuple[Name, ...] = Field(min_length=1, max_length=MAX_ITEMS)


class ExpectedResponse(FrozenModel):
    acknowledge_minutes: Minutes | None = None
    mitigate_minutes: Minutes | None = None
    resolve_minutes: Minutes | None = None
    plan: Identifier | None = Field(default=None, description="The plan that should be used.")


class DrillLogSource(FrozenModel):
    """Sigma's logsource triple of a drill event (routes it to the rules that apply)."""

    product: Annotated[str, Field(max_length=80)] | None = None
    service: Annotated[str, Field(max_length=80)] | None = None
    category: Annotated[str, Field(max_length=80)] | None = None


DrillFieldValue = Annotated[str, Field(max_length=2000)] | int | float | bool


class DrillDetection(FrozenModel):
    """What a ``detection`` inject feeds the detection engine: ``auth_failures`` failed SSH
    logins (sshd lines) from the inject's ``source_address``, or one ``event`` (normalised
    fields under ``logsource``). ``rule`` (a rule's id or name) picks the finding that
    becomes the drill's alert; without it, the findings of the highest level do."""

    auth_failures: Annotated[int, Field(ge=1, le=MAX_AUTH_FAILURES)] | None = None
    account: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S+$")] = "root"
    host: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^\S+$")] = "drill-host"
    event: dict[Annotated[str, Field(max_length=200)], DrillFieldValue] | None = Field(
        default=None, max_length=MAX_EVENT_FIELDS
    )
    logsource: DrillLogSource = DrillLogSource()
    rule: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class DrillInject(FrozenModel):
    """One injected scenario: ``alert`` (a synthetic alert), ``probe_failure`` (a service
    going down) or ``detection`` (a security detection, through the detection store and the
    bus like a real one), ``offset_minutes`` after the start."""

    offset_minutes: Annotated[float, Field(ge=0, le=60 * 24 * 30)]
    kind: Literal["alert", "probe_failure", "detection"] = "alert"
    title: Name
    service: Identifier | None = None
    site: Identifier | None = None
    post: Identifier | None = Field(default=None, description="The post expected to answer.")
    category: Category = Category.AVAILABILITY
    severity: Severity = Severity.SEV3
    source_address: Annotated[str, Field(max_length=64)] | None = None
    detection: DrillDetection | None = Field(
        default=None, description="For kind detection: the events the detection engine sees."
    )
    expected: ExpectedResponse = ExpectedResponse()


class DrillPlan(FrozenModel):
    id: Identifier
    name: Name
    announced: bool = Field(default=True, description="False: participants are not told.")
    notify_leadership: bool = Field(default=False, description="Send on leadership channels.")
    injects: tuple[DrillInject, ...] = Field(min_length=1, max_length=MAX_INJECTS)


class ReadinessSection(FrozenModel):
    plans: tuple[Plan, ...] = Field(default=(), max_length=MAX_PLANS)
    inspections: tuple[InspectionChecklist, ...] = Field(default=(), max_length=MAX_PLANS)
    drills: tuple[DrillPlan, ...] = Field(default=(), max_length=MAX_PLANS)
    remind_hours_before: Annotated[float, Field(gt=0, le=24 * 30)] = 24
    escalate_hours_overdue: Annotated[float, Field(gt=0, le=24 * 30)] = 24


class ReportsSection(FrozenModel):
    templates_dir: Annotated[str, Field(max_length=500)] | None = Field(
        default=None, description="Folder of report templates, relative to this file."
    )
    daily_hour: Annotated[int, Field(ge=0, le=23)] = 18
    language: Literal["vi", "en"] = "vi"
    recipients: tuple[Identifier, ...] = Field(
        default=(), max_length=MAX_ITEMS, description="Person ids who receive the reports."
    )
    reporting_unit: Name | None = None
    contact_person: Identifier | None = None
