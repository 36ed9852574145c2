"""Threat intelligence: every indicator type, plain text and CSV, reload on change."""

from __future__ import annotations

import os
from pathlib import Path

from garrison.config.detection_rules import ThreatIntelList
from garrison.detection.intel.indicators import IndicatorKind, classify
from garrison.detection.intel.lists import ThreatIntel
from tests.detection.engine.factories import event, web_request

SHA256 = "a" * 64
MD5 = "0123456789abcdef0123456789abcdef"


def intel_for(tmp_path: Path, text: str, *, name: str = "bad.txt", **spec: object) -> ThreatIntel:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    intel = ThreatIntel([ThreatIntelList.model_validate({"name": "feed", "path": path, **spec})])
    intel.refresh(0.0, force=True)
    return intel


def test_indicators_are_classified() -> None:
    kinds = {
        "192.0.2.1": IndicatorKind.ADDRESS,
        "2001:db8::/48": IndicatorKind.NETWORK,
        "198.51.100.0/24": IndicatorKind.NETWORK,
        "*.Evil.example": IndicatorKind.DOMAIN,
        "http://evil.example/payload": IndicatorKind.URL,
        SHA256: IndicatorKind.HASH,
    }
    for raw, kind in kinds.items():
        indicator = classify(raw)
        assert indicator is not None, raw
        assert indicator.kind is kind, raw
    assert classify("not an indicator!") is None


def test_each_kind_of_indicator_matches(tmp_path: Path) -> None:
    intel = intel_for(
        tmp_path,
        "# our feed\n192.0.2.66\n198.51.100.0/24 scanners\nevil.example\n"
        f"https://drop.example/malware.exe\n{SHA256}\n{MD5}\nnonsense here!\n",
    )
    assert intel.status()["feed"] == {"indicators": 6, "invalid": 1, "error": None}
    cases = [
        ({"c-ip": "192.0.2.66"}, "192.0.2.66"),
        ({"SourceIp": "198.51.100.200"}, "198.51.100.0/24"),
        ({"QueryName": "cdn.evil.example"}, "evil.example"),
        ({"cs-referer": "http://drop.example/malware.exe"}, "drop.example/malware.exe"),
        ({"sha256": SHA256.upper()}, SHA256),
        ({"Hashes": f"MD5={MD5.upper()},SHA1=x"}, MD5),
    ]
    for fields, indicator in cases:
        (finding,) = intel.evaluate(event(fields), seq=0)
        assert finding.matched_fields["indicator"] == indicator
        assert finding.matched_fields["list"] == "feed"
        assert finding.rule.id == "intel:feed"
        assert finding.rule.author == "Garrison"
    assert intel.evaluate(event({"c-ip": "192.0.2.67", "QueryName": "example.org"}), seq=0) == []


def test_csv_lists_use_the_named_column(tmp_path: Path) -> None:
    intel = intel_for(
        tmp_path,
        "first_seen,ioc,comment\n2026-05-01,203.0.113.9,botnet\n2026-05-02,evil.example,c2\n",
        name="feed.csv",
    )
    assert intel.evaluate(web_request("/", address="203.0.113.9"), seq=0)
    named = intel_for(tmp_path / "n", "a,b\n1,203.0.113.10\n", name="x.csv", column="b")
    assert named.evaluate(web_request("/", address="203.0.113.10"), seq=0)


def test_lists_reload_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("192.0.2.1\n", encoding="utf-8")
    intel = ThreatIntel([ThreatIntelList(name="feed", path=path, reload_seconds=30)])
    assert intel.refresh(0.0)
    probe = event({"c-ip": "192.0.2.2"})
    assert intel.evaluate(probe, seq=0) == []
    path.write_text("192.0.2.1\n192.0.2.2\n", encoding="utf-8")
    os.utime(path, (1_000_000_000, 1_000_000_000))
    assert not intel.refresh(10.0)  # not yet due
    assert intel.refresh(31.0)
    assert intel.evaluate(probe, seq=0)
    assert not intel.refresh(62.0)  # unchanged


def test_a_broken_list_keeps_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("indicator\n192.0.2.1\n", encoding="utf-8")
    intel = ThreatIntel([ThreatIntelList(name="feed", path=path, column="indicator")])
    intel.refresh(0.0, force=True)
    path.write_text("other\n192.0.2.1\n", encoding="utf-8")
    os.utime(path, (1_000_000_000, 1_000_000_000))
    intel.refresh(100.0, force=True)
    assert intel.status()["feed"]["error"]
    assert intel.evaluate(event({"ip": "192.0.2.1"}), seq=0)
