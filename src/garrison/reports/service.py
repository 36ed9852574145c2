"""Building a report: window, facts, figures, file."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from garrison.config import EventConfig
from garrison.reports.data import load_facts, report_window
from garrison.reports.figures import compute_figures
from garrison.reports.render import render_report


@dataclass(frozen=True, slots=True)
class ReportRequest:
    kind: str
    file_format: str = "html"
    language: str = "vi"
    day: date | None = None


def templates_dir_of(config: EventConfig, config_file: Path | None) -> Path | None:
    """``reports.templates_dir`` relative to the configuration file, if set."""
    if config.reports.templates_dir is None or config_file is None:
        return None
    return (config_file.parent / config.reports.templates_dir).resolve()


async def report_figures(
    session: AsyncSession, *, config: EventConfig, kind: str, now: datetime, day: date | None
) -> dict[str, Any]:
    since, until = report_window(kind, config=config, now=now, day=day)
    until = min(until, now)
    facts = await load_facts(session, kind=kind, config=config, since=since, until=until)
    return compute_figures(facts)


async def shift_figures(
    session: AsyncSession,
    *,
    config: EventConfig,
    post: str,
    person: str,
    since: datetime,
    until: datetime,
) -> dict[str, Any]:
    """The figures of one stretch on duty at ``post`` over ``[since, until)``."""
    facts = await load_facts(
        session, kind="shift", config=config, since=since, until=until, post=post
    )
    return {**compute_figures(facts), "shift": {"post": post, "person": person}}


async def build_report(
    session: AsyncSession,
    *,
    config: EventConfig,
    config_file: Path | None,
    request: ReportRequest,
    now: datetime,
) -> bytes:
    figures = await report_figures(
        session, config=config, kind=request.kind, now=now, day=request.day
    )
    # Rendering (above all WeasyPrint's PDF) takes CPU time: keep it off the event loop.
    return await asyncio.to_thread(
        render_report,
        figures,
        file_format=request.file_format,
        language=request.language,
        templates_dir=templates_dir_of(config, config_file),
        generated_at=now,
    )
