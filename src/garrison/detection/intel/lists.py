"""The configured indicator lists: loaded, watched for changes (mtime poll), matched.

A list that fails to load keeps its previous content (an empty one at first) and the
problem is logged; a later good version replaces it. Every hit becomes a finding that
names the list and the indicator.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from garrison.config.detection_rules import ThreatIntelList
from garrison.detection.findings import Finding, FindingKind, RuleInfo, event_time
from garrison.detection.intel.indicators import (
    Indicator,
    IndicatorFileError,
    read_indicator_file,
)
from garrison.detection.intel.matcher import IntelMatcher
from garrison.detection.records import LogEvent
from garrison.i18n import gettext as _

logger = logging.getLogger(__name__)

INTEL_RULE_PREFIX = "intel:"


@dataclass(slots=True)
class _LoadedList:
    spec: ThreatIntelList
    path: Path
    info: RuleInfo
    indicators: list[Indicator] = field(default_factory=list)
    stamp: tuple[float, int] | None = None  # (mtime, size) of the version loaded
    checked_at: float | None = None
    invalid: int = 0
    error: str | None = None


class ThreatIntel:
    def __init__(self, specs: Sequence[ThreatIntelList], *, base_dir: Path | None = None) -> None:
        self._lists: dict[str, _LoadedList] = {}
        for spec in specs:
            path = (
                spec.path if spec.path.is_absolute() or base_dir is None else base_dir / spec.path
            )
            self._lists[spec.name] = _LoadedList(spec, path, _rule_info(spec))
        self.matcher = IntelMatcher({})
        self.reloads = 0

    @property
    def enabled(self) -> bool:
        return bool(self._lists)

    def status(self) -> dict[str, dict[str, object]]:
        return {
            name: {"indicators": len(item.indicators), "invalid": item.invalid, "error": item.error}
            for name, item in self._lists.items()
        }

    def refresh(self, now: float, *, force: bool = False) -> bool:
        """Reload the lists whose file changed (checked every ``reload_seconds``)."""
        changed = False
        for item in self._lists.values():
            due = item.checked_at is None or now - item.checked_at >= item.spec.reload_seconds
            if not (force or due):
                continue
            item.checked_at = now
            changed |= self._reload_if_changed(item)
        if changed:
            self.matcher = IntelMatcher(
                {name: item.indicators for name, item in self._lists.items()}
            )
            self.reloads += 1
        return changed

    def _reload_if_changed(self, item: _LoadedList) -> bool:
        try:
            stat = item.path.stat()
        except OSError as exc:
            item.error = str(exc)
            logger.warning("threat intelligence list %s is unreadable: %s", item.spec.name, exc)
            return False
        stamp = (stat.st_mtime, stat.st_size)
        if stamp == item.stamp:
            return False
        try:
            loaded = read_indicator_file(
                item.path, file_format=item.spec.format, column=item.spec.column
            )
        except IndicatorFileError as exc:
            item.error = str(exc)
            logger.warning("threat intelligence list %s kept as it was: %s", item.spec.name, exc)
            return False
        item.stamp = stamp
        item.indicators = loaded.indicators
        item.invalid = loaded.invalid
        item.error = None
        logger.info(
            "threat intelligence list %s loaded: %d indicators, %d invalid lines",
            item.spec.name,
            len(loaded.indicators),
            loaded.invalid,
        )
        return True

    def evaluate(self, event: LogEvent, *, seq: int) -> list[Finding]:
        findings: list[Finding] = []
        for hit in self.matcher.match(event.fields):
            item = self._lists[hit.list_name]
            indicator = hit.indicator
            summary = _("%(kind)s %(indicator)s of list %(list)s seen in field %(field)s") % {
                "kind": indicator.kind.value,
                "indicator": indicator.value,
                "list": hit.list_name,
                "field": hit.field,
            }
            findings.append(
                Finding(
                    rule=item.info,
                    kind=FindingKind.INTEL,
                    at=event_time(event),
                    events=(event,),
                    event_seqs=(seq,),
                    matched_fields={
                        hit.field: hit.value,
                        "list": hit.list_name,
                        "indicator": indicator.value,
                        "indicator_type": indicator.kind.value,
                    },
                    group=(("indicator", indicator.value),),
                    summary=summary,
                    source_address=indicator.value
                    if indicator.kind.value in ("ip", "cidr")
                    else None,
                )
            )
        return findings


def _rule_info(spec: ThreatIntelList) -> RuleInfo:
    return RuleInfo(
        id=INTEL_RULE_PREFIX + spec.name,
        title=f"Threat intelligence match ({spec.name})",
        level=spec.level,
        author=spec.author,
        license=spec.license,
        category="other",
        description=f"An indicator of list {spec.name} appeared in an event.",
        path=str(spec.path),
    )
