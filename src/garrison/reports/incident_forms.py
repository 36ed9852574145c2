"""Incident report forms as data: Jinja templates per form and language.

Forms change with regulation, so they are files: ``incident/<form>.<lang>.html`` in the
configured ``reports.templates_dir``, else the defaults shipped here (a generic
notification, an initial report and a closure report with the fields national incident
coordination asks for).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from garrison.config import EventConfig
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.models import Incident
from garrison.incidents.timeline import list_timeline
from garrison.reports.render import LANGUAGES, template_environment

FORMS = ("notification", "initial", "closure")
MAX_TIMELINE = 200


def _unit_name(config: EventConfig, unit_id: str | None) -> str:
    return next((u.name for u in config.organisation.units if u.id == unit_id), unit_id or "")


async def form_values(
    session: AsyncSession, *, incident: Incident, config: EventConfig
) -> dict[str, Any]:
    zone = config.event.zone
    services = [s for s in config.services if s.id in set(incident.services)]
    contact = next(
        (p for p in config.organisation.people if p.id == config.reports.contact_person), None
    )
    entries = await list_timeline(session, incident_id=incident.id)
    measures = [e.text for e in entries if e.text and e.kind in {"note", "state_change"}]

    def local(value: datetime | None) -> str:
        return "" if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")

    return {
        "incident": incident,
        "reporting_unit": config.reports.reporting_unit or config.event.name,
        "contact": contact,
        "systems": [
            {
                "name": s.name,
                "owner": _unit_name(config, s.unit),
                "operator": _unit_name(config, s.unit),
                "level": s.criticality.value,
                "addresses": list(s.endpoints),
            }
            for s in services
        ],
        "detected_at": local(incident.opened_at),
        "detection_method": incident.opened_by,
        "resolved_at": local(incident.resolved_at),
        "measures": measures[:MAX_TIMELINE],
    }


async def render_incident_form(
    session: AsyncSession,
    *,
    incident: Incident,
    config: EventConfig,
    form: str,
    language: str,
    templates_dir: Path | None,
) -> str:
    if form not in FORMS:
        raise ValidationFailed(_("form: one of %(choices)s.") % {"choices": ", ".join(FORMS)})
    if language not in LANGUAGES:
        raise ValidationFailed(_("lang: one of %(choices)s.") % {"choices": ", ".join(LANGUAGES)})
    values = await form_values(session, incident=incident, config=config)
    template = template_environment(templates_dir).get_template(f"incident/{form}.{language}.html")
    return template.render(**values)
