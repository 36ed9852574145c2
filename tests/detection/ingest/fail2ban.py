"""Reading fail2ban's labelled samples and scoring Garrison's parsers against them.

Each entry is a ``# failJSON: {...}`` line followed by the log line it labels. The
``# filterOptions:`` lines before it say in which fail2ban modes it is checked. Garrison
reports two failure classes: "attempt" (what fail2ban's normal mode counts) and "probe"
(what only its aggressive or ddos modes count). An entry checked in a normal mode must
match an attempt; in an aggressive mode any failure. Unlabelled log lines are fed to the
parser (some products tie lines together) but not scored.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from garrison.detection.parsers import LogParser, ParseContext, create_parser
from garrison.detection.parsers.base import normalise_address

SHARED_DATA = Path(__file__).parents[3] / "../shared/data"
FAIL2BAN = SHARED_DATA / "logs" / "fail2ban"
# fail2ban's samples are dated around 2005 (and some later): read them as if received now.
RECEIVED_AT = datetime(2026, 6, 1, tzinfo=UTC)
_AGGRESSIVE_MODES = frozenset({"aggressive", "ddos", "extra", "fallback"})
# Modes that narrow what fail2ban matches to a subset Garrison does not single out.
_NARROWING_MODES = frozenset({"errors"})


def samples_folder() -> Path:
    """The samples, or a skip (a failure in CI) when ../shared is absent."""
    if not FAIL2BAN.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"fail2ban samples not found at {FAIL2BAN.resolve()}")
        pytest.skip(f"fail2ban samples not found at {FAIL2BAN.resolve()} (../shared absent)")
    return FAIL2BAN


@dataclass(slots=True)
class Entry:
    label: dict[str, object]
    line: str
    modes: tuple[str, ...]
    number: int


@dataclass(slots=True)
class Score:
    """Entries passed and failed; allow-listed entries are counted apart from both."""

    product: str
    passed: int = 0
    failed: list[str] = field(default_factory=list)
    # Allow-listed entries that fail as the allow-list says, and those that now pass.
    allowed: list[str] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.passed + len(self.failed)

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 1.0


def read_stream(path: Path) -> Iterator[tuple[str, Entry | None]]:
    """Every log line of the file in order, with its label when it has one."""
    options: list[dict[str, object]] = [{}]
    pending: dict[str, object] | None = None
    number = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if raw.startswith("# filterOptions:"):
            parsed = json.loads(raw.split(":", 1)[1])
            options = parsed if isinstance(parsed, list) else [parsed]
            continue
        if raw.startswith("# failJSON:"):
            pending = json.loads(raw.split(":", 1)[1])
            continue
        if raw.startswith("#") or not raw.strip():
            continue
        prefix = next((str(o["test.prefix-line"]) for o in options if "test.prefix-line" in o), "")
        line = prefix + raw
        if pending is None:
            yield line, None
            continue
        modes = tuple(str(o.get("mode", "normal")) for o in options)
        yield line, Entry(pending, line, modes, number)
        pending = None


def _constraint_holds(constraint: object, mode: str) -> bool:
    if not isinstance(constraint, str):
        return True
    tree = ast.parse(constraint, mode="eval").body
    if not (isinstance(tree, ast.Compare) and len(tree.ops) == 1):
        return True
    right = tree.comparators[0]
    if not isinstance(right, ast.Constant):
        return True
    if isinstance(tree.ops[0], ast.Eq):
        return mode == right.value
    if isinstance(tree.ops[0], ast.NotEq):
        return mode != right.value
    return True


def score_file(
    path: Path, parser_name: str = "auto", *, allowed: Mapping[int, str] | None = None
) -> Score:
    """Score every labelled entry of ``path``; ``allowed`` lines (number: reason) apart."""
    allowed = allowed or {}
    parser: LogParser = create_parser(parser_name)
    context = ParseContext(received_at=RECEIVED_AT)
    score = Score(path.name)
    for line, entry in read_stream(path):
        record = parser.parse_line(line, context)
        if entry is None:
            continue
        failure = record.failure if record is not None else None
        problems = []
        for mode in entry.modes:
            if mode in _NARROWING_MODES:
                continue
            if not _constraint_holds(entry.label.get("constraint"), mode):
                continue
            counted = failure is not None and (
                mode in _AGGRESSIVE_MODES or failure.failure_class == "attempt"
            )
            expected_host = entry.label.get("host")
            if entry.label.get("match"):
                if not counted:
                    problems.append(f"[{mode}] no failure")
                elif (
                    expected_host
                    and failure is not None
                    and failure.source_address
                    != (normalise_address(str(expected_host)) or expected_host)
                ):
                    problems.append(f"[{mode}] host {failure.source_address} != {expected_host}")
            elif counted:
                problems.append(f"[{mode}] unexpected failure")
        report = f"{path.name}:{entry.number}: {'; '.join(problems)}: {line[:160]}"
        if entry.number in allowed:
            if problems:
                score.allowed.append(report)
            else:
                score.stale.append(entry.number)
        elif problems:
            score.failed.append(report)
        else:
            score.passed += 1
    return score


def score_addresses(path: Path, parser_name: str = "auto") -> Score:
    """For web attack samples: each labelled attack line parses with its client address.

    Whether the request is an attack is for the rules to decide; the parser's part is a
    web event whose ``c-ip`` is the attacker.
    """
    parser = create_parser(parser_name)
    context = ParseContext(received_at=RECEIVED_AT)
    score = Score(path.name)
    for line, entry in read_stream(path):
        record = parser.parse_line(line, context)
        if entry is None or not entry.label.get("match"):
            continue
        expected = normalise_address(str(entry.label.get("host")))
        found = record.fields.get("c-ip") if record is not None else None
        if found == expected:
            score.passed += 1
        else:
            score.failed.append(f"{path.name}:{entry.number}: c-ip {found} != {expected}")
    return score
