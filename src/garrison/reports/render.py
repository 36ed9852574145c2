"""Report files: HTML (self-contained, charts as inline SVG), PDF (WeasyPrint), JSON, CSV.

Templates are Jinja files: the configured ``reports.templates_dir`` (relative to the
configuration file) first, then the defaults shipped in ``garrison/reports/templates``.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _
from garrison.i18n.translations import use_language

FORMATS = ("html", "pdf", "json", "csv")
LANGUAGES = ("vi", "en")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}
BAR_WIDTH = 360


def template_environment(templates_dir: Path | None) -> Environment:
    loaders: list[Any] = []
    if templates_dir is not None:
        loaders.append(FileSystemLoader(str(templates_dir)))
    loaders.append(PackageLoader("garrison.reports", "templates"))
    environment = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    environment.filters["duration"] = format_duration
    environment.filters["percent"] = format_percent
    environment.globals["bar_chart"] = bar_chart
    return environment


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = round(seconds / 60, 1)
    return _("%(minutes)s min") % {"minutes": f"{minutes:g}"}


def format_percent(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def bar_chart(
    rows: list[tuple[str, float | None]], *, unit: str = "%", maximum: float = 100
) -> Markup:
    """A horizontal bar chart as inline SVG (no script, no external resource)."""
    height = 22 * len(rows) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{BAR_WIDTH + 260}" height="{height}" '
        'role="img" class="chart">'
    ]
    top = max([maximum, *[value or 0 for _label, value in rows]]) or 1
    for index, (label, value) in enumerate(rows):
        y = 22 * index + 2
        width = 0 if value is None else round(BAR_WIDTH * value / top, 1)
        shown = "—" if value is None else f"{value:g}{unit}"
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="11">{escape(label)}</text>'
            f'<rect x="160" y="{y}" width="{width}" height="16" fill="#2f6f9f"/>'
            f'<text x="{166 + width}" y="{y + 14}" font-size="11">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    # Every label and value was escaped above; the rest is our own markup.
    return Markup("".join(parts))  # noqa: S704


def render_html(
    figures: dict[str, Any], *, language: str, templates_dir: Path | None, generated_at: datetime
) -> str:
    _check_language(language)
    zone = ZoneInfo(figures["timezone"])
    with use_language(language):
        template = template_environment(templates_dir).get_template("report.html")
        return template.render(
            f=figures,
            _=_,
            lang=language,
            local=_local_formatter(zone),
            generated_at=generated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"),
        )


def _local_formatter(zone: ZoneInfo) -> Callable[[str], str]:
    def local(value: str) -> str:
        return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return local


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValidationFailed(_("lang: one of %(choices)s.") % {"choices": ", ".join(LANGUAGES)})


def html_to_pdf(html: str) -> bytes:
    # Imported here: WeasyPrint loads Pango at import, which only report rendering needs.
    weasyprint = importlib.import_module("weasyprint")
    document: bytes = weasyprint.HTML(string=html).write_pdf()
    return document


def render_csv(figures: dict[str, Any]) -> str:
    """One row per figure: section, key, value (nested keys joined with dots)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "value"])
    for section, value in figures.items():
        for key, leaf in _flatten(value, ""):
            writer.writerow([section, key, "" if leaf is None else leaf])
    return out.getvalue()


def _flatten(value: Any, prefix: str) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        items: list[tuple[str, Any]] = []
        for key, inner in value.items():
            items.extend(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return items
    if isinstance(value, list):
        items = []
        for index, inner in enumerate(value):
            items.extend(_flatten(inner, f"{prefix}.{index}" if prefix else str(index)))
        return items
    return [(prefix, value)]


def render_report(
    figures: dict[str, Any],
    *,
    file_format: str,
    language: str,
    templates_dir: Path | None,
    generated_at: datetime,
) -> bytes:
    if file_format == "json":
        return json.dumps(figures, ensure_ascii=False, indent=2).encode()
    if file_format == "csv":
        return render_csv(figures).encode()
    if file_format not in FORMATS:
        raise ValidationFailed(_("format: one of %(choices)s.") % {"choices": ", ".join(FORMATS)})
    html = render_html(
        figures, language=language, templates_dir=templates_dir, generated_at=generated_at
    )
    return html.encode() if file_format == "html" else html_to_pdf(html)
