"""Coverage-gap alerts on record, so that each gap is announced once, across restarts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.duty.coverage import Gap
from garrison.duty.models import GapAlertRecord

ALERT_HORIZON = timedelta(hours=24)


def gaps_to_announce(gaps: tuple[Gap, ...], *, at: datetime) -> list[Gap]:
    """Gaps under way at ``at`` or starting within the next 24 hours (inclusive)."""
    return [gap for gap in gaps if gap.start <= at + ALERT_HORIZON and gap.end > at]


async def record_gap_alert(session: AsyncSession, *, gap: Gap, at: datetime) -> bool:
    """Put ``gap`` on record; False when it was announced before (flushes, never commits)."""
    known = await session.scalar(
        select(GapAlertRecord.id).where(
            GapAlertRecord.post_id == gap.post,
            GapAlertRecord.starts_at == gap.start,
            GapAlertRecord.ends_at == gap.end,
        )
    )
    if known is not None:
        return False
    alert = GapAlertRecord(post_id=gap.post, starts_at=gap.start, ends_at=gap.end, alerted_at=at)
    session.add(alert)
    await session.flush()
    await record_audit(
        session,
        actor=Actor.system("duty"),
        action="duty.coverage_gap.alert",
        target_type="post",
        target_id=gap.post,
        at=at,
        after={"starts_at": gap.start, "ends_at": gap.end},
    )
    return True
