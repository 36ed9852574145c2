"""SigmaHQ's rules and regression samples from ../shared/data/sigma, and the run's summary."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from garrison.config.detection import IngestLimits
from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.records import LogEvent, LogSource

REPOSITORY = Path(__file__).resolve().parents[3]
SIGMA_ROOT = (REPOSITORY.parent / "shared" / "data" / "sigma").resolve()
RULE_FOLDERS = ("rules", "rules-emerging-threats", "rules-threat-hunting")
# Lines for the terminal summary (see conftest.py).
SUMMARY: list[str] = []


def sigmahq_available() -> bool:
    """True when the data is there; skips (outside CI) or fails (in CI) when it is not."""
    if (SIGMA_ROOT / "rules").is_dir() and (SIGMA_ROOT / "regression").is_dir():
        return True
    if os.environ.get("CI") == "true":
        pytest.fail(f"SigmaHQ data missing at {SIGMA_ROOT}: CI must have ../shared/data/sigma")
    pytest.skip(f"SigmaHQ data not found at {SIGMA_ROOT} (../shared/data/sigma)")


def rule_folders() -> list[Path]:
    return [SIGMA_ROOT / name for name in RULE_FOLDERS if (SIGMA_ROOT / name).is_dir()]


def json_documents(text: str) -> Iterator[Any]:
    """Several pretty-printed JSON documents one after another."""
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return
        document, position = decoder.raw_decode(text, position)
        yield document


def regression_cases() -> list[tuple[Path, dict[str, Any]]]:
    cases = []
    for info in sorted((SIGMA_ROOT / "regression").rglob("info.yml")):
        cases.append((info.parent, yaml.safe_load(info.read_text(encoding="utf-8"))))
    return cases


def regression_events() -> Iterator[tuple[Path, dict[str, Any], list[LogEvent]]]:
    """Each case's JSON samples as events, parsed as ingestion parses them."""
    received = datetime.now(UTC)
    for folder, info in regression_cases():
        builder = EventBuilder(
            source="regression", parser="auto", tag=LogSource(), zone=UTC, limits=IngestLimits()
        )
        events: list[LogEvent] = []
        for sample in sorted(folder.glob("*.json")):
            for document in json_documents(sample.read_text(encoding="utf-8")):
                events.extend(builder.from_document(document, received).events)
        yield folder, info, events


def raw_samples(folder: Path) -> list[str]:
    lines: list[str] = []
    for sample in sorted(folder.glob("*.raw")):
        lines.extend(line for line in sample.read_text(encoding="utf-8").splitlines() if line)
    return lines
