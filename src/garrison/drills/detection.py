"""Detection injects: the events a drill inject describes, through the detection engine.

An inject with ``detection.auth_failures`` becomes that many sshd "Failed password" lines
from the inject's ``source_address`` (one a second, the last at the inject's time), parsed
by the sshd parser as syslog would be; one with ``detection.event`` becomes one event with
those fields. A fresh engine built from the configuration's rules (``detection`` section)
evaluates them; ``detection.rule`` (id or name) picks the findings that become the drill's
alerts, otherwise those of the highest level do. An inject without ``detection`` becomes a
synthetic finding named after the inject, at the level of its severity.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from garrison.config.detection import DetectionSettings, IngestLimits
from garrison.config.plans import DrillDetection, DrillInject
from garrison.detection.engine.builder import (
    EngineSetup,
    build_engine,
    load_ruleset,
    setup_from_settings,
)
from garrison.detection.findings import (
    GARRISON_AUTHOR,
    GARRISON_LICENSE,
    Finding,
    FindingKind,
    Level,
    RuleInfo,
)
from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.records import LogEvent, LogSource
from garrison.detection.sigma.model import RuleSet
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.vocabulary import Severity

SOURCE = "drill"
SYNTHETIC_RULE_ID = "garrison-drill-detection"
LEVEL_OF_SEVERITY = {
    Severity.SEV1: Level.CRITICAL,
    Severity.SEV2: Level.HIGH,
    Severity.SEV3: Level.MEDIUM,
    Severity.SEV4: Level.LOW,
}
LEVEL_ORDER = {level.value: rank for rank, level in enumerate(Level)}


class DrillRules:
    """The configuration's detection rules, loaded once (off the event loop) for drills."""

    def __init__(self, settings: DetectionSettings, *, base_dir: Path | None) -> None:
        self._setup: EngineSetup = setup_from_settings(settings, base_dir=base_dir)
        self._ruleset: RuleSet | None = None
        self._lock = asyncio.Lock()

    async def findings(self, events: Sequence[LogEvent], *, now: datetime) -> list[Finding]:
        """Every finding of ``events``, in order, on an engine of its own (fresh state)."""
        async with self._lock:
            if self._ruleset is None:
                self._ruleset = await asyncio.to_thread(load_ruleset, self._setup)
            ruleset = self._ruleset
        setup = self._setup

        def evaluate() -> list[Finding]:
            engine = build_engine(setup, ruleset=ruleset, now=now.timestamp())
            found: list[Finding] = []
            for event in events:
                found.extend(engine.evaluate(event))
            return found

        return await asyncio.to_thread(evaluate)


def drill_events(
    inject: DrillInject, detection: DrillDetection, *, now: datetime
) -> list[LogEvent]:
    if detection.auth_failures is not None:
        return _auth_failures(inject, detection, detection.auth_failures, now=now)
    fields = dict(detection.event or {})
    source = detection.logsource
    virtual = (source.product or "").lower() == "garrison" and source.category
    return [
        LogEvent(
            source=SOURCE,
            received_at=now,
            logsource=LogSource(source.product, source.service, source.category),
            fields=fields,
            raw=json.dumps(fields, ensure_ascii=False, sort_keys=True),
            timestamp=now,
            host=detection.host,
            kind=source.category.lower() if virtual and source.category else "log",
            parser="drill",
        )
    ]


def _auth_failures(
    inject: DrillInject, detection: DrillDetection, count: int, *, now: datetime
) -> list[LogEvent]:
    builder = EventBuilder(
        source=SOURCE,
        parser="sshd",
        tag=LogSource(product="linux", service="sshd"),
        zone=UTC,
        limits=IngestLimits(),
    )
    events: list[LogEvent] = []
    for index in range(count):
        at = now.astimezone(UTC) - timedelta(seconds=count - 1 - index)
        line = (
            f"<38>{at:%b %d %H:%M:%S} {detection.host} sshd[4242]: Failed password for "
            f"{detection.account} from {inject.source_address} port {40000 + index} ssh2"
        )
        events.extend(builder.from_line(line, at).events)
    return events


def chosen_findings(findings: Sequence[Finding], *, rule: str | None) -> list[Finding]:
    """The findings of the named rule (id or name), else those of the highest level."""
    if rule is not None:
        wanted = rule.lower()
        return [
            f
            for f in findings
            if f.rule.id.lower() == wanted or (f.rule.name or "").lower() == wanted
        ]
    if not findings:
        return []
    top = max(LEVEL_ORDER.get(f.rule.level, 0) for f in findings)
    return [f for f in findings if LEVEL_ORDER.get(f.rule.level, 0) == top]


def synthetic_finding(inject: DrillInject, *, now: datetime) -> Finding:
    """An inject without events: a finding of Garrison's drill rule, titled as the inject."""
    rule = RuleInfo(
        id=SYNTHETIC_RULE_ID,
        title=inject.title,
        level=LEVEL_OF_SEVERITY[Severity(inject.severity)].value,
        author=GARRISON_AUTHOR,
        license=GARRISON_LICENSE,
        category=str(inject.category),
        name="garrison_drill_detection",
        description=_("A detection injected by a drill."),
    )
    return Finding(
        rule=rule,
        kind=FindingKind.DETECTOR,
        at=now,
        events=(),
        event_seqs=(),
        group=(("source_address", inject.source_address or ""),),
        summary=_("a detection injected by a drill"),
        source_address=inject.source_address,
    )


async def inject_findings(
    inject: DrillInject, *, rules: DrillRules | None, now: datetime
) -> list[Finding]:
    """What the inject makes the detection engine find; ValidationFailed when nothing."""
    detection = inject.detection
    if detection is None:
        return [synthetic_finding(inject, now=now)]
    if rules is None:
        raise ValidationFailed(_("The detection rules are not available to drills here."))
    events = drill_events(inject, detection, now=now)
    chosen = chosen_findings(await rules.findings(events, now=now), rule=detection.rule)
    if not chosen:
        if detection.rule is not None:
            raise ValidationFailed(
                _("The drill's events matched no rule %(rule)s.") % {"rule": detection.rule}
            )
        raise ValidationFailed(_("The drill's events matched no detection rule."))
    return chosen
