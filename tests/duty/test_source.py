"""How workers read the event configuration: none, readable, or unreadable (logged, None)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from garrison.duty.source import event_or_none, read_event, running_event
from garrison.errors import ConflictError
from garrison.settings import Settings
from tests.duty.factories import write_config


def _settings(tmp_path: Path, config_file: Path | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        config_file=config_file,
    )


def test_without_a_configuration_file_there_is_no_event(tmp_path: Path) -> None:
    settings = _settings(tmp_path, None)
    assert running_event(settings) is None
    assert event_or_none(settings, waiting="reports") is None


def test_the_file_garrison_was_started_with_is_read(tmp_path: Path) -> None:
    settings = _settings(tmp_path, write_config(tmp_path / "event.yaml"))
    config = running_event(settings)
    assert config is not None
    assert config.duty.commander_post == "command"
    assert event_or_none(settings, waiting="reports") == config


def test_an_unreadable_file_is_logged_and_waited_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "event.yaml"
    broken.write_text("event:\n  id: x\n  colour: red\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert event_or_none(_settings(tmp_path, broken), waiting="reports") is None
    assert "reports wait: the configuration cannot be read" in caplog.text


def test_a_loader_that_fails_is_logged_with_who_waits(caplog: pytest.LogCaptureFixture) -> None:
    def refuse() -> None:
        raise ConflictError("no configuration today")

    with caplog.at_level(logging.WARNING):
        assert read_event(refuse, waiting="escalations") is None
    assert "escalations wait: the configuration cannot be read: no configuration today" in (
        caplog.text
    )
