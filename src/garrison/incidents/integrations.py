"""Integrations: outside systems that send signals, each with its own secret key.

A key is 32 random hex characters (the length PagerDuty routing keys have, so tools
that check the format accept it), shown once, stored as its SHA-256. Integrations
from the configuration are mirrored at start; others are created over the API.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.config.incidents import IntegrationConfig, IntegrationKind
from garrison.errors import ConflictError, NotFoundError
from garrison.i18n import gettext as _
from garrison.incidents.models import Integration
from garrison.incidents.vocabulary import Category, Severity

KEY_RANDOM_BYTES = 16
KEY_PREFIX_LENGTH = 6
MAX_KEY_LENGTH = 200
MANAGED_BY_CONFIG = "config"
MANAGED_BY_API = "api"


@dataclass(frozen=True, slots=True)
class CreatedIntegration:
    record: Integration
    key: str


@dataclass(frozen=True, slots=True)
class IntegrationSettings:
    name: str
    kind: IntegrationKind
    default_severity: Severity = Severity.SEV3
    default_category: Category = Category.AVAILABILITY
    rate_limit_per_minute: int = 120


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def integration_snapshot(record: Integration) -> dict[str, Any]:
    return {
        "name": record.name,
        "kind": record.kind,
        "key_prefix": record.key_prefix,
        "default_severity": record.default_severity,
        "default_category": record.default_category,
        "rate_limit_per_minute": record.rate_limit_per_minute,
        "managed_by": record.managed_by,
        "disabled_at": record.disabled_at.isoformat() if record.disabled_at else None,
    }


async def list_integrations(session: AsyncSession) -> list[Integration]:
    return list((await session.scalars(select(Integration).order_by(Integration.id))).all())


async def get_integration(session: AsyncSession, *, integration_id: str) -> Integration:
    record = await session.get(Integration, integration_id)
    if record is None:
        raise NotFoundError(_("There is no integration %(id)s.") % {"id": integration_id[:64]})
    return record


def _apply(record: Integration, settings: IntegrationSettings) -> None:
    record.name = settings.name
    record.kind = settings.kind.value
    record.default_severity = settings.default_severity.value
    record.default_category = settings.default_category.value
    record.rate_limit_per_minute = settings.rate_limit_per_minute


def _set_key(record: Integration, key: str) -> None:
    record.key_hash = key_digest(key)
    record.key_prefix = key[:KEY_PREFIX_LENGTH]


async def create_integration(
    session: AsyncSession,
    *,
    integration_id: str,
    settings: IntegrationSettings,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> CreatedIntegration:
    """Create an integration with a new random key, returned once."""
    if await session.get(Integration, integration_id) is not None:
        raise ConflictError(_("The integration id %(id)s is taken.") % {"id": integration_id})
    key = secrets.token_hex(KEY_RANDOM_BYTES)
    record = Integration(id=integration_id, managed_by=MANAGED_BY_API, created_at=now)
    _apply(record, settings)
    _set_key(record, key)
    record.updated_at = now
    session.add(record)
    await session.flush()
    await _audit(session, record, "integration.created", actor, now, None, origin)
    return CreatedIntegration(record=record, key=key)


async def rotate_integration_key(
    session: AsyncSession,
    *,
    record: Integration,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> str:
    """Replace the key (the old one stops working at once); returns the new key, once."""
    _refuse_if_configured(record)
    before = integration_snapshot(record)
    key = secrets.token_hex(KEY_RANDOM_BYTES)
    _set_key(record, key)
    record.updated_at = now
    await session.flush()
    await _audit(session, record, "integration.key_rotated", actor, now, before, origin)
    return key


async def disable_integration(
    session: AsyncSession,
    *,
    record: Integration,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> None:
    _refuse_if_configured(record)
    if record.disabled_at is not None:
        return
    before = integration_snapshot(record)
    record.disabled_at = now
    record.updated_at = now
    await session.flush()
    await _audit(session, record, "integration.disabled", actor, now, before, origin)


def _refuse_if_configured(record: Integration) -> None:
    if record.managed_by == MANAGED_BY_CONFIG:
        raise ConflictError(
            _("The integration %(id)s is defined in the configuration file: change it there.")
            % {"id": record.id}
        )


async def authenticate_integration(
    session: AsyncSession, *, key: str | None, kind: IntegrationKind
) -> Integration | None:
    """The enabled integration of ``kind`` holding ``key``, or None."""
    holding = await integrations_holding(session, keys=[key])
    return accepting(holding.get(key or ""), kind=kind)


async def integrations_holding(
    session: AsyncSession, *, keys: Iterable[str | None]
) -> dict[str, Integration]:
    """The integrations holding any of ``keys``, by key, disabled ones included: one query."""
    digests = {key_digest(key): key for key in keys if key and len(key) <= MAX_KEY_LENGTH}
    if not digests:
        return {}
    found = await session.scalars(
        select(Integration).where(Integration.key_hash.in_(sorted(digests)))
    )
    return {digests[record.key_hash]: record for record in found}


def accepting(record: Integration | None, *, kind: IntegrationKind) -> Integration | None:
    """``record`` if it takes signals of ``kind`` (enabled, of that kind), else None."""
    if record is None or record.disabled_at is not None or record.kind != kind.value:
        return None
    return record


async def record_rejected_key(
    session: AsyncSession,
    *,
    endpoint: str,
    key: str | None,
    now: datetime,
    origin: RequestOrigin | None,
) -> None:
    """An audit entry for a signal refused for its key (never the key itself)."""
    await record_audit(
        session,
        actor=Actor.system("unknown-integration"),
        action="integration.key_rejected",
        target_type="integration_endpoint",
        target_id=endpoint,
        at=now,
        after={"endpoint": endpoint, "key_given": bool(key), "key_length": len(key or "")},
        origin=origin,
    )


async def note_rejected_key(
    sessions: async_sessionmaker[AsyncSession],
    *,
    endpoint: str,
    key: str | None,
    now: datetime,
    origin: RequestOrigin | None,
) -> None:
    """:func:`record_rejected_key` in a transaction of its own, committed."""
    async with sessions() as session:
        await record_rejected_key(session, endpoint=endpoint, key=key, now=now, origin=origin)
        await session.commit()


async def sync_config_integrations(
    session: AsyncSession,
    *,
    configured: Sequence[IntegrationConfig],
    actor: Actor,
    now: datetime,
) -> list[str]:
    """Mirror the configured integrations; ones removed from the file are disabled."""
    changed: list[str] = []
    existing = {record.id: record for record in await list_integrations(session)}
    for item in configured:
        settings = IntegrationSettings(
            name=item.name,
            kind=item.kind,
            default_severity=item.default_severity,
            default_category=item.default_category,
            rate_limit_per_minute=item.rate_limit_per_minute,
        )
        key = item.key.get_secret_value()
        record = existing.get(item.id)
        if record is None:
            record = Integration(id=item.id, created_at=now)
            session.add(record)
            before = None
        else:
            before = integration_snapshot(record)
            if before == _expected(settings, key) and record.key_hash == key_digest(key):
                continue
        _apply(record, settings)
        _set_key(record, key)
        record.managed_by = MANAGED_BY_CONFIG
        record.disabled_at = None
        record.updated_at = now
        await session.flush()
        action = "integration.created" if before is None else "integration.updated"
        await _audit(session, record, action, actor, now, before, None)
        changed.append(item.id)
    wanted = {item.id for item in configured}
    for record in existing.values():
        retired = record.managed_by == MANAGED_BY_CONFIG and record.id not in wanted
        if retired and record.disabled_at is None:
            before = integration_snapshot(record)
            record.disabled_at = now
            record.updated_at = now
            await session.flush()
            await _audit(session, record, "integration.disabled", actor, now, before, None)
            changed.append(record.id)
    return changed


def _expected(settings: IntegrationSettings, key: str) -> dict[str, Any]:
    return {
        "name": settings.name,
        "kind": settings.kind.value,
        "key_prefix": key[:KEY_PREFIX_LENGTH],
        "default_severity": settings.default_severity.value,
        "default_category": settings.default_category.value,
        "rate_limit_per_minute": settings.rate_limit_per_minute,
        "managed_by": MANAGED_BY_CONFIG,
        "disabled_at": None,
    }


async def _audit(
    session: AsyncSession,
    record: Integration,
    action: str,
    actor: Actor,
    now: datetime,
    before: dict[str, Any] | None,
    origin: RequestOrigin | None,
) -> None:
    await record_audit(
        session,
        actor=actor,
        action=action,
        target_type="integration",
        target_id=record.id,
        at=now,
        before=before,
        after=integration_snapshot(record),
        origin=origin,
    )
