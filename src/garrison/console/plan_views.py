"""The plans page (phương án): every plan in force with its trigger, default severity,
responsible unit, priorities and runbook; an edit form per plan and a form for a new one.

A save is ``garrison.readiness.plans.save_plan`` (audited), the same as
``PUT /api/v1/readiness/plans/{id}``: the edit is stored in the database and wins while
the configured plan it was made from is unchanged; once the configuration file changes
that plan, the file wins again and the edit is kept, marked stale. A plan made here exists
only in the database. Reading needs ``readiness:read``, saving ``readiness:manage``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from garrison.audit.actor import Actor
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.config import EventConfig
from garrison.config.plans import MAX_STEPS, Plan
from garrison.console.labels import incident_labels
from garrison.console.readiness_pages import (
    ReadinessConfig,
    ReadinessManagerPage,
    ReadinessPage,
    notice,
)
from garrison.errors import ConflictError, GarrisonError, NotFoundError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.readiness import plans as plan_service
from garrison.web.dependencies import Context, DbSession, Origin
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

PLAN_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
PlanId = Annotated[str, Path(min_length=1, max_length=64, pattern=PLAN_ID_PATTERN)]
BLANK_STEPS = 3  # empty rows the form offers for new steps
MAX_ROWS = MAX_STEPS + 20
MAX_FIELD = 4000
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(slots=True)
class StepRow:
    title: str = ""
    owner_role: str = ""
    minutes: str = ""


@dataclass(slots=True)
class PlanDraft:
    """A plan as the form shows it (strings, as typed), and back to the plan's fields."""

    id: str
    name: str = ""
    description: str = ""
    severity: str = "sev3"
    unit: str = ""
    services: tuple[str, ...] = ()
    sources: str = ""
    categories: tuple[str, ...] = ()
    priorities: str = ""
    steps: list[StepRow] = field(default_factory=list)

    @classmethod
    def of(cls, plan: Plan) -> PlanDraft:
        return cls(
            id=plan.id,
            name=plan.name,
            description=plan.description,
            severity=plan.severity.value,
            unit=plan.unit or "",
            services=plan.trigger.services,
            sources=", ".join(plan.trigger.sources),
            categories=tuple(category.value for category in plan.trigger.categories),
            priorities=", ".join(plan.priorities),
            steps=[
                StepRow(step.title, step.owner_role, f"{step.expected_minutes:g}")
                for step in plan.runbook
            ],
        )

    @classmethod
    def posted(cls, form: FormData, *, plan_id: str) -> PlanDraft:
        positions = _many(form, "step_position")
        rows = zip(
            _many(form, "step_title"),
            _many(form, "step_owner_role"),
            _many(form, "step_minutes"),
            strict=False,
        )
        numbered = []
        for index, (title, owner_role, minutes) in enumerate(rows):
            if not title.strip() and not owner_role.strip():
                continue  # an empty row, or a step removed by clearing it
            order = positions[index] if index < len(positions) else ""
            key = int(order) if order.strip().isdigit() else index + 1
            numbered.append((key, index, StepRow(title.strip(), owner_role.strip(), minutes)))
        return cls(
            id=plan_id,
            name=_one(form, "name").strip(),
            description=_one(form, "description").strip(),
            severity=_one(form, "severity"),
            unit=_one(form, "unit"),
            services=tuple(_many(form, "trigger_services")),
            sources=_one(form, "trigger_sources"),
            categories=tuple(_many(form, "trigger_categories")),
            priorities=_one(form, "priorities"),
            steps=[row for _key, _index, row in sorted(numbered, key=lambda n: (n[0], n[1]))],
        )

    def data(self) -> dict[str, Any]:
        """The plan's fields for ``plan_service.parse_plan`` (which checks them)."""
        steps: list[dict[str, Any]] = []
        for row in self.steps:
            step: dict[str, Any] = {"title": row.title, "owner_role": row.owner_role}
            if row.minutes.strip():
                step["expected_minutes"] = row.minutes.strip()
            steps.append(step)
        return {
            "name": self.name,
            "description": self.description,
            "severity": self.severity,
            "unit": self.unit or None,
            "trigger": {
                "services": list(self.services),
                "sources": _words(self.sources),
                "categories": list(self.categories),
            },
            "priorities": _words(self.priorities),
            "runbook": steps,
        }


def _one(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if len(value) > MAX_FIELD:
        raise ValidationFailed(_("%(field)s: at most %(max)d characters.") % {
            "field": name, "max": MAX_FIELD,
        })  # fmt: skip
    return value


def _many(form: FormData, name: str) -> list[str]:
    values = [value for value in form.getlist(name) if isinstance(value, str)]
    if len(values) > MAX_ROWS or any(len(value) > MAX_FIELD for value in values):
        raise ValidationFailed(_("%(field)s: too many or too long values.") % {"field": name})
    return values


def _words(text: str) -> list[str]:
    return [word for word in _SEPARATORS.split(text) if word]


async def _list_page(
    request: Request,
    session: AsyncSession,
    *,
    principal: Principal,
    config: EventConfig,
    done: str = "",
) -> HTMLResponse:
    configured = {plan.id for plan in config.readiness.plans}
    values: dict[str, Any] = {
        "section": "plans",
        "plans": await plan_service.effective_plans(session, config=config),
        "edits": await plan_service.plan_edits(session),
        "configured": configured,
        "service_names": {service.id: service.name for service in config.services},
        "unit_names": {unit.id: unit.name for unit in config.organisation.units},
        "labels": incident_labels(),
        "can_manage": principal.can(Permission.READINESS_MANAGE),
        "timezone": config.event.timezone,
        "notice": notice(done),
        "error": None,
    }
    return render(request, "console/plans.html", values)


@router.get("/readiness/plans", response_class=HTMLResponse)
async def plans_page(
    request: Request,
    principal: ReadinessPage,
    config: ReadinessConfig,
    session: DbSession,
    done: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    return await _list_page(request, session, principal=principal, config=config, done=done)


def _form_page(
    request: Request,
    *,
    config: EventConfig,
    draft: PlanDraft,
    is_new: bool,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    values: dict[str, Any] = {
        "section": "plans",
        "draft": draft,
        "rows": [*draft.steps, *(StepRow() for _ in range(BLANK_STEPS))],
        "is_new": is_new,
        "in_file": any(plan.id == draft.id for plan in config.readiness.plans),
        "services": config.services,
        "units": config.organisation.units,
        "labels": incident_labels(),
        "error": error,
        "notice": None,
    }
    return render(request, "console/plan_edit.html", values, status_code=status_code)


@router.get("/readiness/plans/new", response_class=HTMLResponse)
async def new_plan_page(
    request: Request, _principal: ReadinessManagerPage, config: ReadinessConfig
) -> HTMLResponse:
    return _form_page(request, config=config, draft=PlanDraft(id=""), is_new=True)


@router.get("/readiness/plans/{plan_id}/edit", response_class=HTMLResponse)
async def edit_plan_page(
    request: Request,
    _principal: ReadinessManagerPage,
    config: ReadinessConfig,
    plan_id: PlanId,
    session: DbSession,
) -> HTMLResponse:
    found = await plan_service.get_plan(session, config=config, plan_id=plan_id)
    return _form_page(request, config=config, draft=PlanDraft.of(found.plan), is_new=False)


async def _save(
    request: Request,
    session: AsyncSession,
    *,
    principal: Principal,
    config: EventConfig,
    context: Context,
    origin: Origin,
    plan_id: str | None,
) -> Response:
    """Save the posted plan ``plan_id``; ``None``: a new plan, its id in the form."""
    is_new = plan_id is None
    draft = PlanDraft(id=plan_id or "")
    try:
        form = await request.form()
        if plan_id is None:
            plan_id = draft.id = _one(form, "plan_id").strip()
        draft = PlanDraft.posted(form, plan_id=plan_id)
        if is_new:
            if not re.fullmatch(PLAN_ID_PATTERN, plan_id) or len(plan_id) > 64:
                raise ValidationFailed(
                    _("id: lower-case letters, digits, '.', '_' and '-', at most 64.")
                )
            try:
                await plan_service.get_plan(session, config=config, plan_id=plan_id)
            except NotFoundError:
                pass
            else:
                raise ConflictError(
                    _("There is a plan %(id)s already: edit it instead.") % {"id": plan_id}
                )
        else:
            await plan_service.get_plan(session, config=config, plan_id=plan_id)
        await plan_service.save_plan(
            session,
            config=config,
            plan=plan_service.parse_plan(draft.data(), plan_id=plan_id),
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )
        await session.commit()
    except GarrisonError as exc:
        await session.rollback()
        return _form_page(
            request, config=config, draft=draft, is_new=is_new,
            error=str(exc), status_code=exc.http_status,
        )  # fmt: skip
    return RedirectResponse(f"/readiness/plans?done=plan_saved#plan-{plan_id}", status_code=303)


@router.post("/readiness/plans", response_class=HTMLResponse)
async def create_plan(
    request: Request,
    principal: ReadinessManagerPage,
    config: ReadinessConfig,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> Response:
    """A plan that exists only in the database; its id comes with the form."""
    return await _save(
        request, session, principal=principal, config=config, context=context, origin=origin,
        plan_id=None,
    )  # fmt: skip


@router.post("/readiness/plans/{plan_id}", response_class=HTMLResponse)
async def save_plan(
    request: Request,
    principal: ReadinessManagerPage,
    config: ReadinessConfig,
    plan_id: PlanId,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> Response:
    return await _save(
        request, session, principal=principal, config=config, context=context, origin=origin,
        plan_id=plan_id,
    )  # fmt: skip
