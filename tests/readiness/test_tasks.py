"""Readiness tasks: reminders before the deadline, when overdue and escalated to the unit's
leader (on the manual clock, through the running worker), evidence, readiness figures."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from garrison.audit.models import AuditEntry
from garrison.config import EventConfig, load_config
from garrison.errors import ConflictError, ValidationFailed
from garrison.readiness.events import ReadinessTaskReminder
from garrison.readiness.models import ReadinessTask
from garrison.readiness.tasks import (
    EVIDENCE_FOLDER,
    MAX_EVIDENCE_BYTES,
    NewTask,
    TaskStatus,
    add_evidence,
    countdown_seconds,
    create_task,
    list_tasks,
    readiness_of,
    set_task_status,
)
from garrison.readiness.worker import ReadinessWorker
from garrison.runtime.context import AppContext
from tests.readiness.factories import TEST_ACTOR, WatchedClock, collecting, running

HOUR = 3600.0


@pytest.fixture
def config(config_path: Path) -> EventConfig:
    return load_config(config_path).config


async def _task(
    context: AppContext, config: EventConfig, *, unit: str, hours: float, title: str = "Test UPS"
) -> ReadinessTask:
    async with context.sessions() as session:
        task = await create_task(
            session,
            config=config,
            new=NewTask(
                title=title,
                unit_id=unit,
                deadline=context.clock.now() + timedelta(hours=hours),
                owner_person_id="echo",
            ),
            actor=TEST_ACTOR,
            now=context.clock.now(),
        )
        await session.commit()
        return task


async def test_reminders_come_before_the_deadline_when_overdue_then_to_the_leader(
    context: AppContext, clock: WatchedClock, config: EventConfig
) -> None:
    start = clock.now()
    task = await _task(context, config, unit="comms", hours=30)
    worker = ReadinessWorker(context, load_event=lambda: config)
    async with collecting(context.bus, ReadinessTaskReminder) as reminders, running(worker):
        await clock.idle()
        assert reminders.events == []  # 30 h ahead: more than remind_hours_before (24 h)
        await clock.advance_and_settle(5 * HOUR)
        assert reminders.events == []
        await clock.advance_and_settle(1 * HOUR)
        (due_soon,) = await reminders.wait_for(1)
        await clock.advance_and_settle(23 * HOUR)
        assert len(reminders.events) == 1  # nothing new until the deadline passes
        await clock.advance_and_settle(1 * HOUR)
        overdue = (await reminders.wait_for(2))[1]
        await clock.advance_and_settle(24 * HOUR)
        escalated = (await reminders.wait_for(3))[2]
        await clock.advance_and_settle(24 * HOUR)
    assert [e.stage for e in reminders.events] == ["due_soon", "overdue", "escalated"]
    assert due_soon.task_id == task.id
    assert due_soon.owner_person_id == "echo"
    assert due_soon.leader_person_id is None
    assert overdue.leader_person_id is None
    assert escalated.leader_person_id == "lima"  # the leader of unit comms
    async with context.sessions() as session:
        stored = await session.get_one(ReadinessTask, task.id)
        assert stored.reminded_at == start + timedelta(hours=6)
        assert stored.overdue_at == start + timedelta(hours=30)
        assert stored.escalated_at == start + timedelta(hours=54)
        actions = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.target_type == "readiness_task")
            )
        ).all()
    assert list(actions) == [
        "readiness.task_created",
        "readiness.task_due_soon",
        "readiness.task_overdue",
        "readiness.task_escalated",
    ]


async def test_a_completed_task_is_not_reminded(
    context: AppContext, clock: WatchedClock, config: EventConfig
) -> None:
    task = await _task(context, config, unit="cyber", hours=2)
    async with context.sessions() as session:
        stored = await session.get_one(ReadinessTask, task.id)
        await set_task_status(
            session, task=stored, status=TaskStatus.DONE, actor=TEST_ACTOR, now=clock.now()
        )
        await session.commit()
    worker = ReadinessWorker(context, load_event=lambda: config)
    clock.advance(60 * HOUR)
    assert await worker.remind_once() == []
    async with context.sessions() as session:
        stored = await session.get_one(ReadinessTask, task.id)
        with pytest.raises(ConflictError):
            await set_task_status(
                session, task=stored, status=TaskStatus.CANCELLED, actor=TEST_ACTOR, now=clock.now()
            )


async def test_a_task_created_after_its_deadline_is_overdue_at_once(
    context: AppContext, clock: WatchedClock, config: EventConfig
) -> None:
    await _task(context, config, unit="cyber", hours=-1)
    worker = ReadinessWorker(context, load_event=lambda: config)
    assert [stage for _id, stage in await worker.remind_once()] == ["overdue"]
    assert await worker.remind_once() == []
    clock.advance(23 * HOUR)
    assert [stage for _id, stage in await worker.remind_once()] == ["escalated"]


async def test_readiness_per_unit_and_overall_and_the_countdown(
    context: AppContext, clock: WatchedClock, config: EventConfig
) -> None:
    first = await _task(context, config, unit="comms", hours=48)
    await _task(context, config, unit="comms", hours=48, title="Switch to backup")
    cancelled = await _task(context, config, unit="cyber", hours=48, title="Scan servers")
    async with context.sessions() as session:
        for task_id, status in ((first.id, TaskStatus.DONE), (cancelled.id, TaskStatus.CANCELLED)):
            task = await session.get_one(ReadinessTask, task_id)
            await set_task_status(
                session, task=task, status=status, actor=TEST_ACTOR, now=clock.now()
            )
        await session.commit()
        tasks = await list_tasks(session)
    figures = readiness_of(tasks, ["comms", "cyber"])
    assert [(r.unit_id, r.done, r.total, r.percent) for r in figures] == [
        ("comms", 1, 2, 50.0),
        ("cyber", 0, 0, 100.0),  # nothing counted: the only task was cancelled
        (None, 1, 2, 50.0),
    ]
    # 2026-05-21 17:00 UTC to 2026-06-01 00:00 in Hanoi (2026-05-31 17:00 UTC): ten days.
    assert countdown_seconds(config, now=clock.now()) == 10 * 24 * HOUR
    assert countdown_seconds(config, now=config.event.start + timedelta(hours=1)) == 0.0


async def test_evidence_keeps_notes_and_files_in_the_data_directory_within_limits(
    context: AppContext, clock: WatchedClock, config: EventConfig
) -> None:
    task = await _task(context, config, unit="comms", hours=48)
    data_dir = context.settings.data_dir
    content = b"UPS test log\n" * 100
    async with context.sessions() as session:
        stored = await session.get_one(ReadinessTask, task.id)
        evidence = await add_evidence(
            session,
            task=stored,
            note="Tested for 20 minutes on battery",
            file=("../../ups log.txt", content),
            data_dir=data_dir,
            actor=TEST_ACTOR,
            now=clock.now(),
        )
        await session.commit()
        assert evidence.filename == "ups log.txt"
        assert evidence.size == len(content)
        assert evidence.sha256 == hashlib.sha256(content).hexdigest()
        assert evidence.stored_name is not None
        assert (data_dir / EVIDENCE_FOLDER / evidence.stored_name).read_bytes() == content
        too_big = b"x" * (MAX_EVIDENCE_BYTES + 1)
        with pytest.raises(ValidationFailed, match="file"):
            await add_evidence(
                session,
                task=stored,
                note="",
                file=("big.bin", too_big),
                data_dir=data_dir,
                actor=TEST_ACTOR,
                now=clock.now(),
            )
        with pytest.raises(ValidationFailed, match="note"):
            await add_evidence(
                session,
                task=stored,
                note="  ",
                file=None,
                data_dir=data_dir,
                actor=TEST_ACTOR,
                now=clock.now(),
            )


async def test_bad_tasks_are_refused_naming_the_field(
    context: AppContext, clock: WatchedClock, config: EventConfig
) -> None:
    deadline = clock.now() + timedelta(days=1)
    cases = [
        (NewTask(title="x", unit_id="nowhere", deadline=deadline), "unit_id"),
        (
            NewTask(title="x", unit_id="comms", deadline=deadline, owner_person_id="nobody"),
            "owner_person_id",
        ),
        (NewTask(title=" ", unit_id="comms", deadline=deadline), "title"),
        (NewTask(title="x", unit_id="comms", deadline=deadline.replace(tzinfo=None)), "deadline"),
    ]
    async with context.sessions() as session:
        for new, field in cases:
            with pytest.raises(ValidationFailed, match=field):
                await create_task(
                    session, config=config, new=new, actor=TEST_ACTOR, now=clock.now()
                )
