"""Server-rendered pages: one Jinja2 environment, translations and the request's state injected."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from garrison.i18n import current_language, gettext, ngettext, pgettext

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def build_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(_=gettext, gettext=gettext, ngettext=ngettext, pgettext=pgettext)
    environment.filters["local_time"] = format_local_time
    return environment


def format_local_time(value: datetime | None, timezone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(timezone)).strftime(fmt)


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    environment: Environment = request.app.state.templates
    values = {
        "request": request,
        "language": current_language(),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "principal": getattr(request.state, "principal", None),
        **context,
    }
    html = environment.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)
