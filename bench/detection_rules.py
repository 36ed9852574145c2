"""The rule engine on one core: SigmaHQ rules over realistic event streams.

(a) ``process_creation``: SigmaHQ's Windows process_creation rules over Sysmon process
    events: the regression samples (malicious) mixed one in ten with benign events made
    from them (the same fields, everyday programs and command lines). Target 5,000/s.
(b) ``linux_web``: every SigmaHQ Linux and web rule plus Garrison's pack and detectors
    over a mixed nginx access / sshd stream, parsed by the ingestion parsers first (parsing
    is not timed). Target 50,000/s.

Each part runs in its own process so that its peak RSS is its own. Times are CPU time of
the evaluating process (the machine is shared).
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import subprocess
import sys
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.results import Measurement
from garrison.config.detection import IngestLimits
from garrison.config.detection_rules import DetectorSettings
from garrison.detection.engine.builder import build_detectors
from garrison.detection.engine.evaluator import DetectionEngine
from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.records import LogEvent, LogSource
from garrison.detection.rules import PACK_DIR
from garrison.detection.sigma.loader import load_rules
from garrison.detection.sigma.model import RuleSet

REPOSITORY = Path(__file__).resolve().parents[1]
SIGMA_ROOT = REPOSITORY.parent / "shared" / "data" / "sigma"
PROCESS_EVENTS = 60_000
LINUX_WEB_EVENTS = 200_000
START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)

SERVICES = "C:\\Windows\\System32\\services.exe"
EXPLORER = "C:\\Windows\\explorer.exe"
CHROME = "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"
# (image, command line, parent): everyday processes with their usual parents.
BENIGN_PROGRAMS = [
    ("C:\\Windows\\System32\\svchost.exe", "svchost.exe -k netsvcs -p -s Schedule", SERVICES),
    (CHROME, f'"{CHROME}" --type=renderer --lang=vi', CHROME),
    (CHROME, f'"{CHROME}" https://portal.example.org/schedule', EXPLORER),
    (
        "C:\\Windows\\System32\\notepad.exe",
        "notepad.exe C:\\Users\\lan\\Documents\\agenda.txt",
        EXPLORER,
    ),
    (
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        "WINWORD.EXE /n report.docx",
        EXPLORER,
    ),
    (
        "C:\\Program Files\\Mozilla Firefox\\firefox.exe",
        "firefox.exe -contentproc -childID 3",
        EXPLORER,
    ),
    (
        "C:\\Windows\\System32\\SearchProtocolHost.exe",
        "SearchProtocolHost.exe Global\\UsGthrFltPipe",
        "C:\\Windows\\System32\\SearchIndexer.exe",
    ),
    ("C:\\Program Files\\Zoom\\bin\\Zoom.exe", "Zoom.exe --action=join --confno=123", EXPLORER),
    ("C:\\Windows\\System32\\taskhostw.exe", "taskhostw.exe", "C:\\Windows\\System32\\svchost.exe"),
    ("C:\\Program Files\\7-Zip\\7zFM.exe", "7zFM.exe D:\\press\\photos.zip", EXPLORER),
]


def _process_stream() -> list[LogEvent]:
    samples = [e for e in _regression_events() if e.logsource.category == "process_creation"]
    generator = random.Random(42)
    events: list[LogEvent] = []
    for index in range(PROCESS_EVENTS):
        template = samples[index % len(samples)]
        if index % 10 == 0:
            events.append(template)
            continue
        image, command, parent = generator.choice(BENIGN_PROGRAMS)
        fields = dict(template.fields)
        fields.update(
            Image=image,
            OriginalFileName=image.rsplit("\\", 1)[-1],
            CommandLine=f"{command} {generator.randrange(10**6)}",
            ParentImage=parent,
            ParentCommandLine=parent,
            CurrentDirectory="C:\\Users\\lan.nguyen\\",
            User="CORP\\lan.nguyen",
            ParentUser="CORP\\lan.nguyen",
            IntegrityLevel="Medium",
            Hashes=f"SHA256={generator.randbytes(32).hex().upper()}",
            Description="",
            Product="",
            Company="",
        )
        events.append(replace(template, fields=fields, raw=""))
    return events


def _regression_events() -> list[LogEvent]:
    builder = EventBuilder(
        source="bench", parser="auto", tag=LogSource(), zone=UTC, limits=IngestLimits()
    )
    decoder = json.JSONDecoder()
    events: list[LogEvent] = []
    for sample in sorted((SIGMA_ROOT / "regression").rglob("*.json")):
        text = sample.read_text(encoding="utf-8")
        position = 0
        while True:
            while position < len(text) and text[position].isspace():
                position += 1
            if position >= len(text):
                break
            document, position = decoder.raw_decode(text, position)
            events.extend(builder.from_document(document, START).events)
    return events


def _linux_web_lines(count: int) -> list[str]:
    generator = random.Random(7)
    pages = [
        "/",
        "/news/2026/opening",
        "/schedule",
        "/press/accreditation",
        "/static/app.js",
        "/static/site.css",
        "/img/logo.png",
        "/search?q=delegation+list",
        "/api/sessions?day=2",
    ]
    attacks = [
        "/item?id=1%20union%20select%20password",
        "/.env",
        "/view?f=../../etc/passwd",
        "/q?s=%3Cscript%3Ealert(1)%3C/script%3E",
        "/wp-login.php",
    ]
    agents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0",
        "Mozilla/5.0 (iPhone)",
        "curl/8.5.0",
        "sqlmap/1.8",
    ]
    lines: list[str] = []
    moment = START
    for index in range(count):
        moment += timedelta(milliseconds=20)
        stamp = moment.strftime("%d/%b/%Y:%H:%M:%S +0000")
        address = f"203.0.113.{generator.randrange(1, 250)}"
        roll = index % 10
        if roll < 7:
            path = attacks[index % len(attacks)] if index % 97 == 0 else generator.choice(pages)
            agent = agents[3] if index % 211 == 0 else generator.choice(agents[:3])
            lines.append(f'{address} - - [{stamp}] "GET {path} HTTP/1.1" 200 5120 "-" "{agent}"')
            continue
        syslog = moment.strftime("%b %d %H:%M:%S")
        pid = 1000 + index % 500
        if roll == 7:
            lines.append(
                f"{syslog} gw01 sshd[{pid}]: Failed password for invalid user admin{index % 50} "
                f"from {address} port 51234 ssh2"
            )
        elif roll == 8:
            lines.append(
                f"{syslog} gw01 sshd[{pid}]: Accepted publickey for deploy from 192.0.2.10 "
                "port 40022 ssh2: ED25519 SHA256:abc"
            )
        else:
            lines.append(
                f"{syslog} gw01 sshd[{pid}]: Disconnected from user deploy 192.0.2.10 port 40022"
            )
    return lines


def _linux_web_stream() -> list[LogEvent]:
    builder = EventBuilder(
        source="bench", parser="auto", tag=LogSource(), zone=UTC, limits=IngestLimits()
    )
    events: list[LogEvent] = []
    for line in _linux_web_lines(LINUX_WEB_EVENTS):
        events.extend(builder.from_line(line, START).events)
    return events


def _linux_web_rules() -> RuleSet:
    folders = [SIGMA_ROOT / "rules" / "linux", SIGMA_ROOT / "rules" / "web"]
    folders += [
        SIGMA_ROOT / "rules-threat-hunting" / "linux",
        SIGMA_ROOT / "rules-threat-hunting" / "web",
    ]
    ruleset = load_rules([*folders, PACK_DIR])
    emerging = load_rules([SIGMA_ROOT / "rules-emerging-threats"])
    web_or_linux = [
        rule
        for rule in emerging.rules
        if rule.logsource.product == "linux"
        or rule.logsource.category in ("webserver", "proxy")
        or rule.logsource.service in ("apache", "nginx")
    ]
    ruleset.rules.extend(web_or_linux)
    ruleset.report.loaded.extend(rule.info for rule in web_or_linux)
    ruleset.report.refused.extend(
        refusal
        for refusal in emerging.report.refused
        if "linux" in refusal.path or "web" in refusal.path
    )
    for index, rule in enumerate(ruleset.rules):
        rule.index = index
    return ruleset


def _measure(part: str) -> list[dict[str, Any]]:
    if part == "process_creation":
        ruleset = load_rules([SIGMA_ROOT / "rules" / "windows" / "process_creation"])
        events = _process_stream()
        engine = DetectionEngine(ruleset)
        target = "≥ 5,000/s"
    else:
        ruleset = _linux_web_rules()
        events = _linux_web_stream()
        engine = DetectionEngine(ruleset, detectors=build_detectors(DetectorSettings()))
        target = "≥ 50,000/s"
    for event in events[:2000]:  # warm the routes' candidate indexes
        engine.evaluate(event)
    started = time.process_time()
    findings = 0
    for event in events:
        findings += len(engine.evaluate(event))
    elapsed = time.process_time() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    name = f"detection_{part}"
    rows = [
        Measurement(
            name,
            "events per second (one core, CPU time)",
            len(events) / elapsed,
            "events/s",
            target,
        ),
        Measurement(name, "rules loaded", float(len(ruleset.report.loaded)), "rules"),
        Measurement(name, "rules refused", float(len(ruleset.report.refused)), "rules"),
        Measurement(name, "events in the stream", float(len(events)), "events"),
        Measurement(name, "findings", float(findings), "findings"),
        Measurement(
            name,
            "prefilter candidates per event",
            engine.sigma.stats.candidates / engine.sigma.stats.events,
            "rules",
        ),
        Measurement(name, "peak RSS", peak, "MB"),
    ]
    return [asdict(row) for row in rows]


async def run() -> list[Measurement]:
    if not await asyncio.to_thread((SIGMA_ROOT / "rules").is_dir):
        print(
            f"SigmaHQ data not found at {SIGMA_ROOT}: detection benchmarks skipped", file=sys.stderr
        )
        return []
    measurements: list[Measurement] = []
    for part in ("process_creation", "linux_web"):
        completed = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "bench.detection_rules", part],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPOSITORY,
        )
        measurements.extend(Measurement(**row) for row in json.loads(completed.stdout))
    return measurements


if __name__ == "__main__":
    print(json.dumps(_measure(sys.argv[1])))
