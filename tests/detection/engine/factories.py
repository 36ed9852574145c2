"""Rules, events and engines for the rule engine's tests."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from garrison.detection.engine.builder import EngineSetup, build_engine
from garrison.detection.engine.evaluator import DetectionEngine
from garrison.detection.findings import Finding
from garrison.detection.records import LogEvent, LogSource
from garrison.detection.sigma.engine import SigmaEngine
from garrison.detection.sigma.loader import load_rules
from garrison.detection.sigma.model import RuleOptions, RuleSet
from tests.conftest import TEST_START

WINDOWS_PROCESS = LogSource(product="windows", service="sysmon", category="process_creation")
WEB = LogSource(product="nginx", category="webserver")


def write_rules(folder: Path, text: str, *, name: str = "rules.yml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def rule_yaml(
    detection: str,
    *,
    rule_id: str = "00000000-0000-4000-8000-000000000001",
    title: str = "Test rule",
    logsource: str = "product: windows\n    category: process_creation",
    name: str | None = None,
    level: str = "medium",
) -> str:
    named = f"name: {name}\n" if name else ""
    body = textwrap.indent(textwrap.dedent(detection).strip(), "    ")
    return (
        f"title: {title}\nid: {rule_id}\n{named}author: Tester\nlevel: {level}\n"
        f"logsource:\n    {logsource}\ndetection:\n{body}\n"
    )


def ruleset_from(tmp_path: Path, *documents: str, options: RuleOptions | None = None) -> RuleSet:
    text = "\n---\n".join(documents)
    path = write_rules(tmp_path / "rules", text)
    return load_rules([path], options)


def sigma_engine(
    tmp_path: Path, *documents: str, options: RuleOptions | None = None, prefilter: bool = True
) -> SigmaEngine:
    ruleset = ruleset_from(tmp_path, *documents, options=options)
    assert ruleset.report.refused == [], ruleset.report.refused
    return SigmaEngine(ruleset, prefilter=prefilter)


def event(
    fields: dict[str, Any],
    *,
    logsource: LogSource = WINDOWS_PROCESS,
    at: datetime = TEST_START,
    raw: str = "",
    kind: str = "log",
    source: str = "test",
    host: str | None = None,
) -> LogEvent:
    return LogEvent(
        source=source,
        received_at=at,
        logsource=logsource,
        fields=fields,
        raw=raw,
        timestamp=at,
        host=host,
        kind=kind,
    )


def auth_failure(
    address: str, account: str, product: str, *, at: datetime = TEST_START
) -> LogEvent:
    return event(
        {
            "source_address": address,
            "account": account,
            "product": product,
            "failure_class": "credentials",
            "detail": "test",
        },
        logsource=LogSource("linux", product, "authentication"),
        kind="auth_failure",
        at=at,
    )


def web_request(
    target: str,
    *,
    address: str = "203.0.113.7",
    status: int = 200,
    agent: str = "Mozilla/5.0",
    host: str = "portal.example.org",
    at: datetime = TEST_START,
) -> LogEvent:
    path = target.split("?", 1)[0]
    fields: dict[str, Any] = {
        "c-ip": address,
        "cs-method": "GET",
        "cs-uri": target,
        "c-uri": target,
        "cs-uri-stem": path,
        "cs-uri-query": target,
        "sc-status": status,
        "cs-user-agent": agent,
        "c-useragent": agent,
        "cs-host": host,
    }
    return event(fields, logsource=WEB, at=at, raw=f'{address} "GET {target}" {status}')


def matched_ids(findings: list[Finding]) -> list[str]:
    return [finding.rule.id for finding in findings]


def titles(findings: list[Finding]) -> list[str]:
    return [finding.rule.title for finding in findings]


def pack_engine(**setup: Any) -> DetectionEngine:
    """Garrison's own pack and detectors, nothing else."""
    return build_engine(EngineSetup(**setup))


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)
