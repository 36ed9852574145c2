"""The one place where Garrison's errors become HTTP responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from garrison.errors import GarrisonError, RateLimited
from garrison.i18n import gettext as _


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GarrisonError, _garrison_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]


async def _garrison_error(_request: Request, exc: GarrisonError) -> JSONResponse:
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    return JSONResponse(
        {"error": type(exc).__name__, "detail": str(exc)},
        status_code=exc.http_status,
        headers=headers,
    )


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [
        {
            "field": ".".join(str(part) for part in error["loc"]),
            "message": error["msg"],
            "type": error["type"],
        }
        for error in exc.errors()
    ]
    return JSONResponse(
        {
            "error": "ValidationFailed",
            "detail": _("The request is not valid."),
            "problems": problems,
        },
        status_code=422,
    )
