"""Raw results are kept ``probes.retention_days``; rollups and state history for good.

Old results are deleted in small batches, one short transaction each, so that the
batch writer is never kept waiting for long (SQLite has one writer at a time).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from garrison.probes.models import ResultRecord

DEFAULT_BATCH = 5_000


async def purge_results_batch(session: AsyncSession, *, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` results started before ``before``; flushes, returns how many."""
    oldest = (
        select(ResultRecord.id)
        .where(ResultRecord.started_at < before)
        .order_by(ResultRecord.started_at)
        .limit(limit)
    )
    ids = list((await session.scalars(oldest)).all())
    if not ids:
        return 0
    await session.execute(
        delete(ResultRecord).where(ResultRecord.id.in_(ids)),
        execution_options={"synchronize_session": False},
    )
    return len(ids)


async def purge_old_results(
    sessions: async_sessionmaker[AsyncSession], *, before: datetime, batch: int = DEFAULT_BATCH
) -> int:
    """Delete every result older than ``before``, batch by batch (each batch committed)."""
    removed = 0
    while True:
        async with sessions() as session:
            count = await purge_results_batch(session, before=before, limit=batch)
            await session.commit()
        removed += count
        if count < batch:
            return removed
