"""The ASGI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from garrison import __version__
from garrison.audit.views import router as audit_router
from garrison.auth.views import api_router as auth_api_router
from garrison.auth.views import page_router as auth_page_router
from garrison.console.views import router as console_router
from garrison.detection.alerts.views import router as detections_router
from garrison.detection.ingest.views import router as ingest_router
from garrison.directives.views import router as directives_router
from garrison.drills.views import router as drills_router
from garrison.duty.views import router as duty_router
from garrison.escalation.views import router as escalation_router
from garrison.event.views import api_router as event_api_router
from garrison.event.views import page_router as event_page_router
from garrison.incidents.pagerduty_views import router as pagerduty_router
from garrison.incidents.views import router as incidents_router
from garrison.notify.ack_views import router as acknowledge_link_router
from garrison.notify.views import router as notify_router
from garrison.probes.views import router as probes_router
from garrison.readiness.views import router as readiness_router
from garrison.reports.views import router as reports_router
from garrison.runtime.context import AppContext
from garrison.telemetry.metrics import router as metrics_router
from garrison.web.errors import install_error_handlers
from garrison.web.health import router as health_router
from garrison.web.language import LanguageMiddleware
from garrison.web.middleware import BodySizeLimit, RequestMetrics, SecurityHeaders
from garrison.web.templating import STATIC_DIR, build_environment

API_PREFIX = "/api/v1"


def create_app(context: AppContext) -> FastAPI:
    app = FastAPI(
        title="Garrison",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        # The interactive docs load scripts from the internet; the OpenAPI document is enough.
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    app.state.templates = build_environment()
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(auth_api_router, prefix=API_PREFIX)
    app.include_router(event_api_router, prefix=API_PREFIX)
    app.include_router(audit_router, prefix=API_PREFIX)
    app.include_router(incidents_router, prefix=API_PREFIX)
    app.include_router(pagerduty_router)  # PagerDuty's own path: /v2/enqueue
    app.include_router(ingest_router, prefix=API_PREFIX)
    app.include_router(detections_router, prefix=API_PREFIX)
    app.include_router(duty_router, prefix=API_PREFIX)
    app.include_router(probes_router, prefix=API_PREFIX)
    app.include_router(escalation_router, prefix=API_PREFIX)
    app.include_router(notify_router, prefix=API_PREFIX)
    app.include_router(directives_router, prefix=API_PREFIX)
    app.include_router(readiness_router, prefix=API_PREFIX)
    app.include_router(drills_router, prefix=API_PREFIX)
    app.include_router(reports_router, prefix=API_PREFIX)
    app.include_router(acknowledge_link_router)  # /ack/{token}: the signed one-click links
    app.include_router(auth_page_router)
    app.include_router(event_page_router)
    app.include_router(console_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(LanguageMiddleware, default=context.settings.language)
    app.add_middleware(BodySizeLimit, max_bytes=context.settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics, metrics=context.metrics)
    return app
