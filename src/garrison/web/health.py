"""Liveness and readiness."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from garrison.storage.engine import READING_OPTIONS
from garrison.web.dependencies import Context

router = APIRouter(tags=["health"], include_in_schema=False)
logger = logging.getLogger(__name__)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/readyz")
async def readyz(context: Context) -> JSONResponse:
    database_ok = True
    try:
        async with context.engine.connect() as connection:
            # Not behind SQLite's writers: a busy store is still a reachable one.
            await connection.execution_options(**READING_OPTIONS)
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        logger.warning("readiness: database unreachable: %s", type(exc).__name__)
        database_ok = False
    workers = context.workers
    ready = database_ok and workers.all_running
    body = {
        "status": "ready" if ready else "not ready",
        "database": "ok" if database_ok else "unreachable",
        "workers": {name: name in workers.running for name in workers.expected},
        "stopping": workers.stopping,
    }
    return JSONResponse(body, status_code=200 if ready else 503)
