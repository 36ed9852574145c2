"""The scenario the escalation, notification and directive tests share.

An event in Hà Nội time with two units, a NOC post on an 8-hour rotation, a shift
commander post, two escalation policies, and every notification channel pointed
at the real receivers of ``tests.notify.sinks``. The test clock starts at
2026-06-01 08:00 UTC (15:00 local), when Alpha's NOC shift starts.
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from garrison.audit.actor import Actor
from garrison.audit.models import AuditEntry
from garrison.auth.permissions import Role
from garrison.clock import ManualClock
from garrison.config import EventConfig, load_config
from garrison.escalation.models import EscalationRecord
from garrison.escalation.worker import EscalationWorker
from garrison.event.sync import sync_configuration
from garrison.incidents.models import Incident, TimelineEntry
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.service import NewIncident, open_incident
from garrison.incidents.vocabulary import Category, Classification, Severity
from garrison.notify.models import Notification, NotificationAttempt, NotificationDelivery
from garrison.notify.worker import NotificationWorker
from garrison.runtime.context import AppContext
from garrison.runtime.workers import Worker, supervise
from tests.auth.factories import make_user

TEST_ACTOR = Actor.system("test")
WEBHOOK_SECRET = "webhook-shared-secret-0123456789"
SMTP_USER = "garrison"
SMTP_PASSWORD = "relay-password-1"

PEOPLE = {
    "alpha": ("Alpha", "comms", Role.DUTY_OFFICER),
    "bravo": ("Bravo", "comms", Role.DUTY_OFFICER),
    "delta": ("Delta", "comms", Role.COMMANDER),
    "echo": ("Echo", "comms", Role.ENGINEER),
    "foxtrot": ("Foxtrot", "comms", Role.ENGINEER),
    "lima": ("Lima", "comms", Role.LEADER),
    "kilo": ("Kilo", "cyber", Role.LEADER),
    "mike": ("Mike", "cyber", Role.ANALYST),
}


@dataclass(frozen=True, slots=True)
class Endpoints:
    smtp_port: int
    ca_file: Path
    webhook_url: str
    chat_url: str
    sms_url: str


def _people_yaml(endpoints: Endpoints, webhook_people: Sequence[str]) -> str:
    lines: list[str] = []
    for person_id, (name, unit, role) in PEOPLE.items():
        contacts = f"email: {person_id}@congress.example, phone: '+84 90 000 00{len(lines):02d}'"
        if person_id in webhook_people:
            contacts += f", webhook: '{endpoints.webhook_url}/{person_id}'"
        lines.append(
            f"    - {{id: {person_id}, name: {name}, unit: {unit}, role: {role.value}, "
            f"username: {person_id}, contacts: {{{contacts}}}}}"
        )
    return "\n".join(lines)


def scenario_yaml(
    endpoints: Endpoints,
    *,
    webhook_people: Sequence[str] = ("echo",),
    notifications_extra: str = "",  # keys for the notifications section, indented two spaces
    escalation: str | None = None,
) -> str:
    base = f"""
event:
  id: summit-2026
  name: Summit 2026
  timezone: Asia/Ho_Chi_Minh
  start: 2026-05-31T07:00:00
  end: 2026-06-07T07:00:00
organisation:
  units:
    - {{id: comms, name: Communications, leader: lima}}
    - {{id: cyber, name: Cybersecurity, leader: kilo}}
  people:
{_people_yaml(endpoints, webhook_people)}
  posts:
    - {{id: command, name: Shift command, unit: comms}}
    - {{id: noc, name: Network operations centre, unit: comms}}
services:
  - {{id: uplink, name: Uplink, kind: link, criticality: critical, unit: comms}}
  - {{id: portal, name: Portal, kind: website, criticality: high, unit: comms,
     depends_on: [uplink]}}
  - {{id: soc-feed, name: SOC feed, kind: other, criticality: normal, unit: cyber}}
duty:
  commander_post: command
  rotations:
    - {{post: command, shift_length: 12, handoff_time: "07:00", people: [delta]}}
    - {{post: noc, shift_length: 8, handoff_time: "07:00", people: [alpha, bravo]}}
"""
    policies = (
        escalation
        or """
escalation:
  default_policy: standard
  policies:
    - id: standard
      name: Standard
      repeat: 2
      steps:
        - targets: [{kind: on_duty, post: noc}]
          wait_minutes: 5
        - targets: [{kind: role, role: engineer, unit: comms}, {kind: commander}]
          wait_minutes: 10
        - targets: [{kind: unit_leader}]
          wait_minutes: 15
    - id: security
      name: Security incidents
      steps:
        - targets: [{kind: person, person: mike}]
          wait_minutes: 3
        - targets: [{kind: unit_leader, unit: cyber}]
          wait_minutes: 5
  rules:
    - {policy: security, units: [cyber]}
"""
    )
    notifications = f"""
notifications:
  public_url: https://garrison.test
  channels: [email, webhook, chat, sms]
  email:
    host: 127.0.0.1
    port: {endpoints.smtp_port}
    security: starttls
    username: {SMTP_USER}
    password: {SMTP_PASSWORD}
    sender: garrison@congress.example
    ca_file: {endpoints.ca_file}
    timeout_seconds: 5
  webhook:
    secret: {WEBHOOK_SECRET}
    timeout_seconds: 5
  sms:
    url: "{endpoints.sms_url}/send?to={{phone}}"
    body: '{{"text": "{{message}}", "to": "{{phone}}"}}'
    body_format: json
    headers: {{X-Api-Key: sms-key}}
  attempts_per_channel: 3
  retry_backoff_seconds: 10
"""
    return (
        textwrap.dedent(base).lstrip("\n")
        + textwrap.dedent(policies)
        + textwrap.dedent(notifications)
        + notifications_extra
    )


def write_scenario(path: Path, endpoints: Endpoints, **options: Any) -> Path:
    path.write_text(scenario_yaml(endpoints, **options), encoding="utf-8")
    load_config(path, environ={})  # fails loudly if the scenario itself is invalid
    return path


def loader(path: Path) -> EventConfig:
    return load_config(path, environ={}).config


async def open_test_incident(
    context: AppContext,
    *,
    title: str = "Uplink down",
    services: tuple[str, ...] = ("uplink",),
    severity: Severity = Severity.SEV1,
    category: Category = Category.AVAILABILITY,
    is_drill: bool = False,
    commander: str | None = None,
    classification: Classification = Classification.INTERNAL,
) -> int:
    commander_id = None
    if commander is not None:
        commander_id = (await make_user(context, commander, role=Role.COMMANDER)).id
    async with context.sessions() as session:
        incident = await open_incident(
            session,
            new=NewIncident(
                title=title,
                severity=severity,
                category=category,
                classification=classification,
                services=services,
                is_drill=is_drill,
            ),
            actor=TEST_ACTOR,
            now=context.clock.now(),
        )
        incident.commander_id = commander_id
        incident_id = incident.id
        await commit_and_publish(session, context.bus)
    return incident_id


def escalation_worker(context: AppContext, config_path: Path) -> EscalationWorker:
    return EscalationWorker(context, load_event=lambda: loader(config_path))


def notification_worker(context: AppContext, config_path: Path) -> NotificationWorker:
    return NotificationWorker(context, load_event=lambda: loader(config_path))


async def notifications(context: AppContext, incident_id: int | None = None) -> list[Notification]:
    async with context.sessions() as session:
        query = select(Notification).order_by(Notification.id)
        if incident_id is not None:
            query = query.where(Notification.incident_id == incident_id)
        return list((await session.scalars(query)).all())


async def recipients(context: AppContext, incident_id: int) -> list[str]:
    """Who the incident's notifications went to, in the order they were queued."""
    return [n.recipient_id for n in await notifications(context, incident_id)]


async def escalation_record(context: AppContext, incident_id: int) -> EscalationRecord:
    async with context.sessions() as session:
        found = await session.scalar(
            select(EscalationRecord).where(EscalationRecord.incident_id == incident_id)
        )
        assert found is not None
        return found


async def deliveries(context: AppContext) -> list[NotificationDelivery]:
    async with context.sessions() as session:
        query = select(NotificationDelivery).order_by(NotificationDelivery.id)
        return list((await session.scalars(query)).all())


async def attempts(context: AppContext) -> list[NotificationAttempt]:
    async with context.sessions() as session:
        query = select(NotificationAttempt).order_by(NotificationAttempt.id)
        return list((await session.scalars(query)).all())


async def timeline(context: AppContext, incident_id: int, kind: str) -> list[TimelineEntry]:
    async with context.sessions() as session:
        query = (
            select(TimelineEntry)
            .where(TimelineEntry.incident_id == incident_id, TimelineEntry.kind == kind)
            .order_by(TimelineEntry.id)
        )
        return list((await session.scalars(query)).all())


async def audit_actions(context: AppContext, target_id: str | None = None) -> list[str]:
    async with context.sessions() as session:
        query = select(AuditEntry.action).order_by(AuditEntry.seq)
        if target_id is not None:
            query = query.where(AuditEntry.target_id == target_id)
        return list((await session.scalars(query)).all())


async def incident(context: AppContext, incident_id: int) -> Incident:
    async with context.sessions() as session:
        found = await session.get(Incident, incident_id)
        assert found is not None
        return found


def advance(clock: ManualClock, *, minutes: float = 0, seconds: float = 0) -> None:
    clock.advance(timedelta(minutes=minutes, seconds=seconds).total_seconds())


@contextlib.asynccontextmanager
async def running(context: AppContext, *workers: Worker) -> AsyncIterator[None]:
    """Workers started as ``garrison serve`` starts them, stopped on the way out."""
    async with supervise(workers, health=context.workers, metrics=context.metrics):
        yield


async def sync_event(context: AppContext, config_path: Path) -> None:
    """Mirror the scenario into the database, as ``garrison serve`` does at start."""
    loaded = load_config(config_path, environ={})
    async with context.sessions() as session:
        await sync_configuration(
            session, loaded=loaded, actor=TEST_ACTOR, at=context.clock.now(), source="test"
        )
        await session.commit()
