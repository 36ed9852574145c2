"""One run of one check, as the engine stores and judges it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from garrison.config.checks import Check


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one run found.

    ``reason`` says in plain words why a run failed ("" when it passed).
    ``phases`` are milliseconds per protocol phase where the protocol has them:
    ``dns``, ``connect``, ``tls``, ``first_byte``, ``total``.
    ``details`` is JSON-ready evidence (status code, certificate expiry days,
    DNS answers, the content diff…), bounded in size.
    """

    ok: bool
    reason: str
    started_at: datetime
    location: str
    latency_ms: float | None = None
    phases: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    # "warning" for a passing run that needs attention (a certificate near expiry).
    severity: str | None = None


@dataclass(frozen=True, slots=True)
class ContentBaseline:
    """The approved state of a page, for content-integrity (defacement) checks."""

    text: str
    script_origins: frozenset[str]
    iframe_origins: frozenset[str]
    link_origins: frozenset[str]


@dataclass(frozen=True, slots=True)
class RunContext:
    """What a run needs besides the check itself."""

    location: str
    started_at: datetime
    baseline: ContentBaseline | None = None


class CheckRunner(Protocol):
    """Runs one check once; never raises for a failing target, only returns a failed result."""

    async def __call__(self, check: Check, *, run: RunContext) -> CheckResult: ...
