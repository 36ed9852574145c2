"""The event's configuration mirrored into the database.

Every item keeps its configuration as JSON (``data``) next to the columns that
queries need. Items removed from the configuration are retired (``retired_at``
set), never deleted, so history and references stay intact.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from garrison.storage.base import Base, UTCDateTime

ID_LENGTH = 64


class MirroredItem(Base):
    """Columns shared by every mirrored configuration item."""

    __abstract__ = True

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class EventRecord(MirroredItem):
    __tablename__ = "event"

    timezone: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PhaseRecord(MirroredItem):
    __tablename__ = "phase"

    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SiteRecord(MirroredItem):
    __tablename__ = "site"


class UnitRecord(MirroredItem):
    __tablename__ = "unit"


class PersonRecord(MirroredItem):
    __tablename__ = "person"

    unit_id: Mapped[str] = mapped_column(ForeignKey("unit.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    username: Mapped[str | None] = mapped_column(String(64), default=None)


class PostRecord(MirroredItem):
    __tablename__ = "post"

    unit_id: Mapped[str] = mapped_column(ForeignKey("unit.id"), index=True)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("site.id"), default=None)


class ServiceRecord(MirroredItem):
    __tablename__ = "service"

    kind: Mapped[str] = mapped_column(String(32))
    criticality: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[str] = mapped_column(ForeignKey("unit.id"), index=True)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("site.id"), default=None)


class ConfigSyncRecord(Base):
    """One row per sync that changed something: when, from which files, what changed."""

    __tablename__ = "config_sync"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())
    digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    added: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    retired: Mapped[int] = mapped_column(Integer)
