"""Many signals in one transaction: deduplication and grouping as if one by one."""

from __future__ import annotations

import dataclasses

from garrison.config.incidents import GroupingRule, GroupingSettings, IncidentsConfig
from garrison.incidents.ingest import ingest_built, ingest_signals
from garrison.incidents.signal_records import Outcome
from garrison.incidents.signals import IncomingSignal, SignalAction, SourceKind
from garrison.incidents.vocabulary import Severity
from garrison.runtime.context import AppContext
from tests.incidents.factories import alerts, incidents, set_policy, signal_count


def webhook(key: str, action: SignalAction = SignalAction.TRIGGER) -> IncomingSignal:
    return IncomingSignal(
        source="integration:bench",
        source_kind=SourceKind.WEBHOOK,
        source_name="Bench",
        action=action,
        dedup_key=f"webhook:{key}",
        summary=f"Problem {key}",
        severity=Severity.SEV3,
        group="uplink",
    )


async def test_a_batch_sees_its_own_alerts(context: AppContext) -> None:
    await set_policy(context, IncidentsConfig())
    batch = [
        webhook("a"),
        webhook("a"),
        webhook("a", SignalAction.RESOLVE),
        webhook("a", SignalAction.RESOLVE),
        webhook("a"),
        webhook("b"),
    ]
    async with context.sessions() as session:
        results = await ingest_signals(session, signals=batch, now=context.clock.now())
        await session.commit()

    assert [result.outcome for result in results] == [
        Outcome.OPENED,
        Outcome.DEDUPLICATED,
        Outcome.RESOLVED,
        Outcome.NO_OPEN_ALERT,
        Outcome.OPENED,
        Outcome.GROUPED,
    ]
    first, second = results[0].incident_id, results[4].incident_id
    assert first != second
    assert results[5].incident_id == second
    stored = await alerts(context)
    assert sorted((alert.dedup_key, alert.status) for alert in stored) == [
        ("webhook:a", "firing"),
        ("webhook:a", "resolved"),
        ("webhook:b", "firing"),
    ]
    assert [incident.status for incident in await incidents(context)] == ["resolved", "triggered"]
    assert await signal_count(context) == 6

    # The next batch finds the firing alerts of the first in the database.
    async with context.sessions() as session:
        again = await ingest_signals(
            session, signals=[webhook("b"), webhook("a")], now=context.clock.now()
        )
        await session.commit()
    assert [result.outcome for result in again] == [Outcome.DEDUPLICATED, Outcome.DEDUPLICATED]


async def test_signals_are_built_from_the_current_policy(context: AppContext) -> None:
    seen: list[IncidentsConfig] = []

    def build(policy: IncidentsConfig) -> list[IncomingSignal]:
        seen.append(policy)
        return [webhook(f"k{len(seen)}")]

    await set_policy(context, IncidentsConfig())
    for _round in range(2):
        async with context.sessions() as session:
            await ingest_built(session, build=build, count=1, now=context.clock.now())
            await session.commit()
    changed = IncidentsConfig(grouping=GroupingSettings(rules=[GroupingRule.SERVICE]))
    await set_policy(context, changed)
    async with context.sessions() as session:
        [result] = await ingest_built(session, build=build, count=1, now=context.clock.now())
        await session.commit()

    assert seen[0] is seen[1]  # the same version is parsed once
    assert seen[2] == changed
    assert seen[2] != seen[0]
    # Without the group rule, the third alert does not join the others' incident.
    assert result.outcome == Outcome.OPENED


async def test_a_storm_inside_one_batch_counts_the_batchs_own_triggers(
    context: AppContext,
) -> None:
    await set_policy(context, IncidentsConfig())

    def distinct(key: str) -> IncomingSignal:
        return dataclasses.replace(webhook(key), group=key, rate_limit_per_minute=3)

    async with context.sessions() as session:
        first = await ingest_signals(
            session, signals=[distinct("a"), distinct("b")], now=context.clock.now()
        )
        await session.commit()
    async with context.sessions() as session:
        batch = [distinct(key) for key in "cdef"] + [webhook("f"), distinct("g")]
        second = await ingest_signals(session, signals=batch, now=context.clock.now())
        await session.commit()

    assert [result.outcome for result in first] == [Outcome.OPENED] * 2
    # Two triggers stored before, then the batch's own: the fourth of the minute storms.
    assert [result.outcome for result in second] == [
        Outcome.OPENED,
        Outcome.STORM,
        Outcome.STORM,
        Outcome.STORM,
        Outcome.DEDUPLICATED,
        Outcome.STORM,
    ]
    storm = [incident for incident in await incidents(context) if incident.is_storm]
    assert len(storm) == 1
    assert {result.incident_id for result in second[1:]} == {storm[0].id}
    assert await signal_count(context) == 8
