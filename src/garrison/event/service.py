"""Reading the mirrored event: the event itself, its phase now, and its items."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.errors import NotFoundError
from garrison.event.models import (
    EventRecord,
    MirroredItem,
    PersonRecord,
    PhaseRecord,
    PostRecord,
    ServiceRecord,
    SiteRecord,
    UnitRecord,
)
from garrison.i18n import gettext as _

T = TypeVar("T", bound=MirroredItem)


async def get_event(session: AsyncSession) -> EventRecord:
    event = await session.scalar(select(EventRecord).where(EventRecord.retired_at.is_(None)))
    if event is None:
        raise NotFoundError(
            _("No event is configured yet: start Garrison with a configuration file.")
        )
    return event


async def find_event(session: AsyncSession) -> EventRecord | None:
    return await session.scalar(select(EventRecord).where(EventRecord.retired_at.is_(None)))


async def current_phase(session: AsyncSession, *, at: datetime) -> PhaseRecord | None:
    return await session.scalar(
        select(PhaseRecord).where(
            PhaseRecord.retired_at.is_(None), PhaseRecord.starts_at <= at, PhaseRecord.ends_at > at
        )
    )


async def list_items(
    session: AsyncSession, *, table: type[T], include_retired: bool = False
) -> list[T]:
    query = select(table).order_by(table.id)
    if not include_retired:
        query = query.where(table.retired_at.is_(None))
    return list((await session.scalars(query)).all())


async def list_services(
    session: AsyncSession, *, include_retired: bool = False
) -> list[ServiceRecord]:
    return await list_items(session, table=ServiceRecord, include_retired=include_retired)


async def list_phases(session: AsyncSession) -> list[PhaseRecord]:
    query = (
        select(PhaseRecord).where(PhaseRecord.retired_at.is_(None)).order_by(PhaseRecord.starts_at)
    )
    return list((await session.scalars(query)).all())


ITEM_TABLES: dict[str, type[MirroredItem]] = {
    "sites": SiteRecord,
    "units": UnitRecord,
    "people": PersonRecord,
    "posts": PostRecord,
    "services": ServiceRecord,
}
