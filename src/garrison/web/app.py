"""The ASGI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from garrison import __version__
from garrison.audit.views import router as audit_router
from garrison.auth.views import api_router as auth_api_router
from garrison.auth.views import page_router as auth_page_router
from garrison.event.views import api_router as event_api_router
from garrison.event.views import page_router as event_page_router
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
    app.include_router(auth_page_router)
    app.include_router(event_page_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(LanguageMiddleware, default=context.settings.language)
    app.add_middleware(BodySizeLimit, max_bytes=context.settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics, metrics=context.metrics)
    return app
