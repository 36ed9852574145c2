"""Embedded SQLite by default, PostgreSQL for scale-out; migrations with Alembic."""

from garrison.storage.base import Base, UTCDateTime
from garrison.storage.engine import (
    Capabilities,
    capabilities_for,
    create_engine,
    create_session_factory,
)

__all__ = [
    "Base",
    "Capabilities",
    "UTCDateTime",
    "capabilities_for",
    "create_engine",
    "create_session_factory",
]
