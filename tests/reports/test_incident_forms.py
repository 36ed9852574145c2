"""Incident report forms as templates: the notification, initial and closure reports in
Vietnamese and English carry every field national incident coordination asks for; a
form in the configured templates folder replaces the shipped one."""

from __future__ import annotations

from pathlib import Path

import pytest

from garrison.config import load_config
from garrison.errors import ValidationFailed
from garrison.incidents.service import NewIncident, open_incident
from garrison.incidents.timeline import TimelineKind, add_timeline_entry
from garrison.incidents.transitions import resolve_incident
from garrison.incidents.vocabulary import Category, Classification, Severity
from garrison.reports.incident_forms import FORMS, render_incident_form
from garrison.runtime.context import AppContext
from tests.readiness.factories import TEST_ACTOR

COMMON = {
    "en": [
        "Reporting unit",
        "Contact person",
        "Affected system",
        "Owner",
        "Operator",
        "Security level",
        "Addresses",
        "Detection time",
        "Detection method",
        "Description",
        "Incident type",
        "Impact",
        "Status",
        "Measures taken",
        "Help received",
        "Proposals",
    ],
    "vi": [
        "Đơn vị báo cáo",
        "Người liên hệ",
        "Hệ thống bị sự cố",
        "Chủ quản",
        "Đơn vị vận hành",
        "Cấp độ an toàn",
        "Địa chỉ",
        "Thời điểm phát hiện",
        "Cách thức phát hiện",
        "Mô tả",
        "Loại sự cố",
        "Ảnh hưởng",
        "Trạng thái",
        "Biện pháp đã xử lý",
        "Hỗ trợ đã nhận",
        "Đề xuất, kiến nghị",
    ],
}
VALUES = [
    "Congress operations centre",  # reports.reporting_unit
    "Lima",
    "+84 24 3825 0000",
    "lima@example.org",  # reports.contact_person
    "Uplink",
    "Communications",
    "critical",
    "tcp://192.0.2.10:443",  # the affected service
    "2026-06-01 15:00 +07",  # detection time, event time
    "Uplink to the press centre cut",
    "availability",
    "SEV1",
    "Switched to the backup link",  # a measure from the timeline
]


async def _incident(context: AppContext) -> int:
    async with context.sessions() as session:
        incident = await open_incident(
            session,
            new=NewIncident(
                title="Uplink to the press centre cut",
                severity=Severity.SEV1,
                category=Category.AVAILABILITY,
                classification=Classification.INTERNAL,
                services=("uplink",),
            ),
            actor=TEST_ACTOR,
            now=context.clock.now(),
        )
        await add_timeline_entry(
            session,
            incident_id=incident.id,
            kind=TimelineKind.NOTE,
            at=context.clock.now(),
            actor=TEST_ACTOR,
            text="Switched to the backup link",
        )
        await resolve_incident(
            session,
            incident=incident,
            actor=TEST_ACTOR,
            now=context.clock.now(),
            resolution_summary="Carrier repaired the fibre",
        )
        await session.commit()
        return incident.id


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("form", FORMS)
async def test_every_form_carries_every_national_field(
    context: AppContext, config_path: Path, form: str, language: str
) -> None:
    config = load_config(config_path).config
    incident_id = await _incident(context)
    async with context.sessions() as session:
        from garrison.incidents.models import Incident  # noqa: PLC0415

        incident = await session.get_one(Incident, incident_id)
        html = await render_incident_form(
            session,
            incident=incident,
            config=config,
            form=form,
            language=language,
            templates_dir=None,
        )
    assert f'<html lang="{language}">' in html
    for label in COMMON[language]:
        assert label in html, label
    for value in VALUES:
        assert value in html, value
    if form == "closure":
        assert "Carrier repaired the fibre" in html
        assert "2026-06-01 15:00 +07" in html


async def test_a_configured_template_replaces_the_shipped_one_and_input_is_checked(
    context: AppContext, config_path: Path, tmp_path: Path
) -> None:
    config = load_config(config_path).config
    folder = tmp_path / "forms" / "incident"
    folder.mkdir(parents=True)
    (folder / "notification.en.html").write_text(
        "Form 02/TB: {{ reporting_unit }} / {{ incident.title }}", encoding="utf-8"
    )
    incident_id = await _incident(context)
    async with context.sessions() as session:
        from garrison.incidents.models import Incident  # noqa: PLC0415

        incident = await session.get_one(Incident, incident_id)
        html = await render_incident_form(
            session,
            incident=incident,
            config=config,
            form="notification",
            language="en",
            templates_dir=tmp_path / "forms",
        )
        assert html == "Form 02/TB: Congress operations centre / Uplink to the press centre cut"
        shipped = await render_incident_form(
            session,
            incident=incident,
            config=config,
            form="initial",
            language="en",
            templates_dir=tmp_path / "forms",
        )
        assert "Initial incident report" in shipped
        for form, language, field in (("memo", "en", "form"), ("initial", "fr", "lang")):
            with pytest.raises(ValidationFailed, match=field):
                await render_incident_form(
                    session,
                    incident=incident,
                    config=config,
                    form=form,
                    language=language,
                    templates_dir=None,
                )
