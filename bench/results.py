"""One measured number, and how a run is reported."""

from __future__ import annotations

import json
import platform
import resource
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Measurement:
    bench: str
    metric: str
    value: float
    unit: str
    target: str = ""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def print_table(measurements: list[Measurement]) -> None:
    rows = [("bench", "metric", "value", "unit", "target")]
    rows += [(m.bench, m.metric, f"{m.value:,.2f}", m.unit, m.target) for m in measurements]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def write_json(measurements: list[Measurement], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "measured_at": datetime.now(UTC).isoformat(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "measurements": [asdict(m) for m in measurements],
    }
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
