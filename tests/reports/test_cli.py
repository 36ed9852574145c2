"""``garrison report daily|final|shift --format html|pdf|json|csv --lang vi|en --out FILE``:
files written with the figures (the PDF's text read with pdftotext), and exit codes."""

from __future__ import annotations

import asyncio
import csv
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from garrison.cli.main import cli
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from tests.reports.seed import seed_incidents

# 11:00 on the first event day in Hanoi.
SEEDED_AT = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def _seed(settings: Settings) -> None:
    async def seed() -> None:
        async with open_context(settings) as context:
            await seed_incidents(context, SEEDED_AT)

    asyncio.run(seed())


def _report(settings: Settings, *args: str) -> Result:
    base = ["--data-dir", str(settings.data_dir), "--database-url", settings.resolved_database_url]
    return CliRunner().invoke(cli, [*base, "report", *args], catch_exceptions=False)


def _pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True)
    return " ".join(done.stdout.split())


@pytest.mark.parametrize("file_format", ["html", "pdf", "json", "csv"])
def test_a_daily_report_file_in_each_format(
    settings: Settings, config_path: Path, tmp_path: Path, file_format: str
) -> None:
    _seed(settings)
    out = tmp_path / f"daily.{file_format}"
    result = _report(
        settings,
        "daily",
        "--format",
        file_format,
        "--lang",
        "en",
        "--date",
        "2026-06-01",
        "--config",
        str(config_path),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    if file_format == "json":
        figures = json.loads(out.read_text(encoding="utf-8"))
        assert figures["incidents"]["total"] == 2
        assert figures["drill_incidents"]["total"] == 1
        assert figures["since"] == "2026-05-31T17:00:00+00:00"
        assert figures["until"] == "2026-06-01T17:00:00+00:00"
    elif file_format == "csv":
        rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
        assert ["incidents", "by_severity.sev1", "1"] in rows
        assert ["incidents", "acknowledge_median", "120.0"] in rows
    else:
        text = _pdf_text(out) if file_format == "pdf" else out.read_text(encoding="utf-8")
        assert "Daily situation report: National Congress" in text
        assert "Total: 2; still open: 2" in text
        assert "median 2 min" in text
        assert "Drill incidents (not counted above): 1" in text
        if file_format == "pdf":
            assert out.read_bytes().startswith(b"%PDF")


def test_a_vietnamese_pdf_keeps_its_diacritics(
    settings: Settings, config_path: Path, tmp_path: Path
) -> None:
    _seed(settings)
    out = tmp_path / "final.pdf"
    result = _report(
        settings,
        "final",
        "--format",
        "pdf",
        "--lang",
        "vi",
        "--config",
        str(config_path),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    text = _pdf_text(out)
    assert "Báo cáo đánh giá tổng kết: National Congress" in text  # DejaVu covers Vietnamese
    assert "Asia/Ho_Chi_Minh" in text


def test_exit_codes(settings: Settings, config_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    usage = _report(settings, "weekly", "--out", str(out), "--config", str(config_path))
    assert usage.exit_code == 2
    bad_format = _report(
        settings, "daily", "--format", "docx", "--out", str(out), "--config", str(config_path)
    )
    assert bad_format.exit_code == 2
    assert "--format" in bad_format.output
    no_config = _report(settings, "daily", "--out", str(out))
    assert no_config.exit_code == 1
    assert "configuration" in no_config.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("event: {id: x}\n", encoding="utf-8")
    invalid = _report(settings, "daily", "--out", str(out), "--config", str(broken))
    assert invalid.exit_code == 2
    assert not out.exists()
