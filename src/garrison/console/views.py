"""The console's pages, gathered in one router for the app factory."""

from __future__ import annotations

from fastapi import APIRouter

from garrison.console import (
    admin_views,
    attachment_views,
    credential_views,
    directive_views,
    drill_views,
    duty_views,
    duty_week_views,
    incident_views,
    inspection_views,
    plan_views,
    readiness_views,
    report_views,
    runbook_views,
    security_views,
    service_views,
    stream_views,
    wallboard_views,
)

router = APIRouter(include_in_schema=False)
router.include_router(wallboard_views.router)
router.include_router(stream_views.router)
router.include_router(incident_views.router)
router.include_router(attachment_views.router)
router.include_router(runbook_views.router)
router.include_router(duty_views.router)
router.include_router(duty_week_views.router)
router.include_router(directive_views.router)
router.include_router(readiness_views.router)
router.include_router(inspection_views.router)
router.include_router(plan_views.router)
router.include_router(drill_views.router)
router.include_router(report_views.router)
router.include_router(service_views.router)
router.include_router(security_views.router)
router.include_router(admin_views.router)
router.include_router(credential_views.router)
