"""Inspections: every item passed or failed with evidence; a failed item becomes a task."""

from __future__ import annotations

from datetime import timedelta

import pytest

from garrison.config import load_config
from garrison.errors import ConflictError, ValidationFailed
from garrison.readiness.inspections import (
    FAILED_ITEM_DEADLINE,
    finish_inspection,
    items_of,
    record_item,
    start_inspection,
)
from garrison.readiness.tasks import get_task
from garrison.runtime.context import AppContext
from garrison.settings import Settings
from tests.readiness.factories import TEST_ACTOR


async def test_a_failed_item_becomes_a_task_of_the_unit(
    context: AppContext, settings: Settings
) -> None:
    assert settings.config_file is not None
    config = load_config(settings.config_file).config
    now = context.clock.now()
    async with context.sessions() as session:
        inspection = await start_inspection(
            session,
            config=config,
            checklist_id="pre-event",
            unit_id="comms",
            actor=TEST_ACTOR,
            now=now,
        )
        backup, ups = await items_of(session, inspection_id=inspection.id)
        assert (backup.text, ups.text) == ("Backup link switched over and back", "UPS tested")
        with pytest.raises(ConflictError, match="2"):
            await finish_inspection(session, inspection=inspection, actor=TEST_ACTOR, now=now)
        await record_item(
            session,
            config=config,
            inspection=inspection,
            item_id=backup.id,
            passed=True,
            evidence="Switched at 10:02, back at 10:09",
            actor=TEST_ACTOR,
            now=now,
        )
        failed = await record_item(
            session,
            config=config,
            inspection=inspection,
            item_id=ups.id,
            passed=False,
            evidence="Battery held 3 minutes of 15",
            actor=TEST_ACTOR,
            now=now,
        )
        await finish_inspection(session, inspection=inspection, actor=TEST_ACTOR, now=now)
        await session.commit()
        assert backup.result == "pass"
        assert backup.task_id is None
        assert failed.result == "fail"
        assert failed.task_id is not None
        task = await get_task(session, task_id=failed.task_id)
        assert task.title == "Fix: UPS tested"
        assert task.unit_id == "comms"
        assert task.description == "Battery held 3 minutes of 15"
        assert task.inspection_item_id == failed.id
        assert task.deadline == now + FAILED_ITEM_DEADLINE
        assert inspection.finished_at == now
        with pytest.raises(ConflictError):
            await record_item(
                session,
                config=config,
                inspection=inspection,
                item_id=ups.id,
                passed=True,
                evidence="",
                actor=TEST_ACTOR,
                now=now + timedelta(hours=1),
            )


async def test_an_unknown_checklist_or_unit_is_refused(
    context: AppContext, settings: Settings
) -> None:
    assert settings.config_file is not None
    config = load_config(settings.config_file).config
    async with context.sessions() as session:
        for checklist, unit, field in (
            ("nope", "comms", "checklist_id"),
            ("pre-event", "x", "unit_id"),
        ):
            with pytest.raises(ValidationFailed, match=field):
                await start_inspection(
                    session,
                    config=config,
                    checklist_id=checklist,
                    unit_id=unit,
                    actor=TEST_ACTOR,
                    now=context.clock.now(),
                )
